//! A standard file (`standards/*.toml`, lc-standards `parse_standard`): an error names the
//! file; an accepted standard parses the same again.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match lc_standards::parse_standard("standard.toml", text) {
        Ok(s) => {
            let again = lc_standards::parse_standard("standard.toml", text)
                .expect("the same text parses again");
            assert_eq!(format!("{s:?}"), format!("{again:?}"));
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("standard.toml"),
                "the error does not name the file: {msg}"
            );
            let lines = livingcircle_fuzz::line_count(data) as usize;
            assert!(e.line <= lines, "line {} of {lines}: {msg}", e.line);
        }
    }
});

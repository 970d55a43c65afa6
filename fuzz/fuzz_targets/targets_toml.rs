//! A targets (plan) file (`targets/*.toml`, lc-standards `parse_plan`), then checked against
//! the shipped standards as `assess` does (`check_plan`): errors name the file; nothing panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match lc_standards::parse_plan("targets.toml", text) {
        Ok(plan) => {
            let standards = lc_standards::shipped_standards().expect("the shipped standards parse");
            if let Err(e) = lc_standards::check_plan(&plan, &standards) {
                assert!(!e.to_string().is_empty());
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("targets.toml"),
                "the error does not name the file: {msg}"
            );
            let lines = livingcircle_fuzz::line_count(data) as usize;
            assert!(e.line <= lines, "line {} of {lines}: {msg}", e.line);
        }
    }
});

//! The division list of `assess --divisions` (`lc_assess::Divisions::add_csv`, `code,name`
//! rows): an error names the file and a line of it that holds the code it complains about;
//! every kept code is a valid division code and has a name.
#![no_main]
use lc_assess::{valid_code, Divisions};
use libfuzzer_sys::fuzz_target;

/// The first field of every line, as the reader takes it.
fn codes(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|line| {
        line.split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"')
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut d = Divisions::new();
    let keep_all = |_: &str| true;
    match d.add_csv("divisions.csv", text, &keep_all) {
        Ok(added) => {
            assert!(d.len() <= added, "{} names from {added} rows", d.len());
            for code in codes(text) {
                if valid_code(code) {
                    let name = d
                        .name(code)
                        .unwrap_or_else(|| panic!("{code} was not kept"));
                    assert!(!name.trim().is_empty(), "{code} without a name");
                }
            }
        }
        Err(e) => {
            assert_eq!(e.file, "divisions.csv");
            let lines: Vec<&str> = text.split('\n').collect();
            assert!(
                e.line >= 1 && e.line <= lines.len(),
                "line {} of {}",
                e.line,
                lines.len()
            );
            if let Some(code) = e
                .message
                .strip_prefix("division ")
                .and_then(|m| m.split(' ').next())
            {
                assert!(
                    lines[e.line - 1].contains(code),
                    "line {} does not hold {code}",
                    e.line
                );
            }
        }
    }
    // Only the codes asked for are kept.
    let mut some = Divisions::new();
    let keep = |c: &str| c.starts_with('1');
    if some.add_csv("divisions.csv", text, &keep).is_ok() {
        for code in codes(text) {
            if valid_code(code) && !code.starts_with('1') {
                assert!(
                    some.name(code).is_none(),
                    "{code} kept though not asked for"
                );
            }
        }
    }
});

//! The national division list of the service platform (`lc_store::read_division_dir`: five
//! files, `provinces.csv` to `villages.csv`, in this order in the input, separated by lines
//! `%%`). Errors name a file and, for a row, a line of that file that holds the code they
//! complain about; an accepted list has valid, unique codes whose parents are in the list.
#![no_main]
use std::collections::HashSet;

use lc_registry::DivisionCode;
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{parts, put_in, scratch};

const FILES: [&str; 5] = [
    "provinces.csv",
    "cities.csv",
    "areas.csv",
    "streets.csv",
    "villages.csv",
];

fuzz_target!(|data: &[u8]| {
    let p = parts(data, 5);
    for (name, bytes) in FILES.iter().zip(&p) {
        put_in("divisions", name, bytes);
    }
    let dir = scratch().join("divisions");
    match lc_store::read_division_dir(&dir) {
        Ok(rows) => {
            let mut seen = HashSet::new();
            for r in &rows {
                let code = DivisionCode::parse(&r.code)
                    .unwrap_or_else(|e| panic!("accepted code {:?}: {e}", r.code));
                assert_eq!(code.level().number(), r.level, "{r:?}");
                assert!(!r.name.trim().is_empty(), "{r:?}");
                assert!(seen.insert(r.code.as_str()), "{} twice", r.code);
                if let Some(parent) = &r.parent_code {
                    assert!(
                        seen.contains(parent.as_str()),
                        "{r:?}: parent not before it"
                    );
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                FILES.iter().any(|f| msg.contains(f)),
                "names no file: {msg}"
            );
            // "<file> line <n>, field 'code': '<code>' is not …": line n of the file holds it.
            for row in msg.lines() {
                let row = row.trim();
                let Some((file, rest)) = row.split_once(" line ") else {
                    continue;
                };
                let Some(k) = FILES.iter().position(|f| *f == file) else {
                    continue;
                };
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let line: usize = digits.parse().unwrap_or_else(|_| panic!("no line: {row}"));
                let text = String::from_utf8_lossy(p[k]);
                let lines = livingcircle_fuzz::physical_lines(&text);
                assert!(
                    line >= 2 && line <= lines.len(),
                    "{row}: the file has {} lines",
                    lines.len()
                );
                if let Some(code) = rest
                    .split_once("field 'code': '")
                    .and_then(|(_, c)| c.split_once("' is not"))
                    .map(|(c, _)| c)
                    .filter(|c| !c.is_empty() && !c.contains('"'))
                {
                    assert!(
                        lines[line - 1].contains(code),
                        "{row}: line {line} is {:?}",
                        lines[line - 1]
                    );
                }
            }
        }
    }
});

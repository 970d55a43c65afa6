//! Field-level validation errors with stable codes and messages in Chinese and English.

use serde::Serialize;

/// One problem with one field of a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// The field (`lat`, `certificates[1].number`, `line 7: population`, …).
    pub field: String,
    /// Stable machine-readable code (`required`, `out_of_range`, `uscc_check`, …).
    pub code: &'static str,
    /// 中文说明.
    pub message_zh: String,
    /// English explanation.
    pub message_en: String,
}

/// Characters refused in every text field: bidirectional embeddings, overrides and isolates
/// (U+202A-U+202E, U+2066-U+2069, the marks U+200E, U+200F, U+061C) that make a name read
/// differently from what it is, and zero-width characters (U+200B-U+200D, U+2060, U+FEFF,
/// U+180E) that make two names look alike.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200B}'..='\u{200F}'
            | '\u{061C}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{180E}'
    )
}

/// Collects field errors while a record is checked.
#[derive(Debug, Default)]
pub struct Check {
    /// What was found so far.
    pub errors: Vec<FieldError>,
}

impl Check {
    /// A new, empty collector.
    pub fn new() -> Check {
        Check::default()
    }

    /// Records a problem.
    pub fn fail(&mut self, field: &str, code: &'static str, zh: String, en: String) {
        self.errors.push(FieldError {
            field: field.to_string(),
            code,
            message_zh: zh,
            message_en: en,
        });
    }

    /// A required field is missing or empty.
    pub fn required(&mut self, field: &str) {
        self.fail(
            field,
            "required",
            format!("缺少必填字段 {field}"),
            format!("{field} is required"),
        );
    }

    /// A required, trimmed, non-empty text of at most `max` characters without control characters.
    pub fn text(&mut self, field: &str, v: &Option<String>, max: usize) -> Option<String> {
        match v.as_deref().map(str::trim) {
            None | Some("") => {
                self.required(field);
                None
            }
            Some(s) => self.opt_text(field, &Some(s.to_string()), max),
        }
    }

    /// An optional text: `None` when absent or blank; else as [`Check::text`].
    pub fn opt_text(&mut self, field: &str, v: &Option<String>, max: usize) -> Option<String> {
        let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        if s.chars().count() > max {
            self.fail(
                field,
                "too_long",
                format!("{field} 过长（最多 {max} 个字符）"),
                format!("{field} is too long (at most {max} characters)"),
            );
            return None;
        }
        if s.chars().any(is_invisible) {
            self.fail(
                field,
                "invisible_character",
                format!("{field} 含有双向控制符或零宽字符"),
                format!("{field} contains a bidirectional override or zero-width character"),
            );
            return None;
        }
        if s.chars().any(char::is_control) {
            self.fail(
                field,
                "control_character",
                format!("{field} 含有控制字符"),
                format!("{field} contains control characters"),
            );
            return None;
        }
        Some(s.to_string())
    }

    /// A finite number within `lo..=hi`, required or optional.
    pub fn number(
        &mut self,
        field: &str,
        v: Option<f64>,
        lo: f64,
        hi: f64,
        required: bool,
    ) -> Option<f64> {
        let Some(x) = v else {
            if required {
                self.required(field);
            }
            return None;
        };
        if !x.is_finite() || x < lo || x > hi {
            self.fail(
                field,
                "out_of_range",
                format!("{field} 的值 {x} 超出范围（{lo} 至 {hi}）"),
                format!("{field} = {x} is out of range ({lo} to {hi})"),
            );
            return None;
        }
        Some(x)
    }

    /// A date `YYYY-MM-DD` that exists.
    pub fn date(&mut self, field: &str, v: &Option<String>) -> Option<String> {
        let s = self.opt_text(field, v, 10)?;
        if parse_date(&s).is_none() {
            self.fail(
                field,
                "invalid_date",
                format!("{field} 不是有效日期（格式 YYYY-MM-DD）：{s}"),
                format!("{field} is not a real date in the form YYYY-MM-DD: {s}"),
            );
            return None;
        }
        Some(s)
    }

    /// `Ok(())` when nothing was recorded.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// An 18-character national code as parsed: trimmed and upper-cased; its length in
/// characters when that is not 18.
pub(crate) fn code_18(s: &str) -> Result<String, usize> {
    let up = s.trim().to_ascii_uppercase();
    match up.chars().count() {
        18 => Ok(up),
        n => Err(n),
    }
}

/// Parses `YYYY-MM-DD` into (year, month, day) if it is a real date in 1900..=2199.
pub fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    ((1900..=2199).contains(&y) && crate::resident_id::is_real_date(y, m, d)).then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_zero_width_characters_are_refused() {
        for bad in [
            "张\u{202E}三",
            "\u{2066}abc\u{2069}",
            "ad\u{200B}min",
            "a\u{200D}b",
            "\u{FEFF}名",
            "x\u{061C}y",
        ] {
            let mut c = Check::new();
            assert_eq!(c.text("name", &Some(bad.into()), 100), None, "{bad:?}");
            assert_eq!(c.errors[0].code, "invisible_character", "{bad:?}");
        }
        let mut c = Check::new();
        assert_eq!(
            c.text("name", &Some(" 张三 Zhang-San ".into()), 100),
            Some("张三 Zhang-San".into())
        );
        assert!(c.errors.is_empty());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-2-28"), None);
        assert_eq!(parse_date("2023-+2-28"), None);
    }

    #[test]
    fn texts_and_numbers() {
        let mut c = Check::new();
        assert_eq!(c.text("name", &Some("  a ".into()), 5), Some("a".into()));
        assert_eq!(c.text("name", &Some(" ".into()), 5), None);
        assert_eq!(c.opt_text("x", &Some("abcdef".into()), 5), None);
        assert_eq!(c.number("lat", Some(91.0), -90.0, 90.0, true), None);
        assert_eq!(c.number("lat", None, -90.0, 90.0, false), None);
        let codes: Vec<&str> = c.errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["required", "too_long", "out_of_range"]);
    }
}

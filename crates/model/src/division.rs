//! Administrative division codes (统计用区划代码 of the National Bureau of Statistics; the first
//! six digits are GB/T 2260): the one place for their rules. Every crate that reads, checks,
//! rolls up or pads a division code does it through this module.
//!
//! * A code has 2 (province, 省级), 4 (prefecture, 地级), 6 (county, 县级), 9 (street or town,
//!   乡级) or 12 (community or village committee, 村级) ASCII digits, and its first two digits
//!   are one of the 34 provincial-level divisions ([`PROVINCES`]). Nothing else is checked: the
//!   real list has zero parts where a level is skipped (东莞市 441900 has no counties, 金门县
//!   350527000 has placeholder children), so a zero part below the province is a code.
//! * Its level is given by its length ([`level_of`]); its parent is its prefix one level up,
//!   and its region at a wider level the prefix of that level's length ([`prefix_at`],
//!   [`prefixes`], [`province`], [`city`], [`county`]).
//! * A *prefix filter* ([`is_code_prefix`]) is 1 to 12 digits: any beginning of a code.
//! * Statistical tables pad a code with zeros to 12 digits ([`padded12`]).

use std::fmt;

/// The provincial-level divisions of GB/T 2260: 22 provinces, 5 autonomous regions, 4
/// municipalities, Taiwan (71) and the two special administrative regions (81, 82).
pub const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// The five levels of the national list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// 省级 (2 digits).
    Province,
    /// 地级 (4 digits).
    Prefecture,
    /// 县级 (6 digits).
    County,
    /// 乡级: street, town, township (9 digits).
    Street,
    /// 村级: community or village committee (12 digits).
    Committee,
}

impl DivisionLevel {
    /// The five levels, province first.
    pub const ALL: [DivisionLevel; 5] = [
        DivisionLevel::Province,
        DivisionLevel::Prefecture,
        DivisionLevel::County,
        DivisionLevel::Street,
        DivisionLevel::Committee,
    ];

    /// 1 (province) to 5 (committee), as stored.
    pub fn number(self) -> i64 {
        self as i64 + 1
    }

    /// The level with this number, if any.
    pub fn from_number(n: i64) -> Option<DivisionLevel> {
        DivisionLevel::ALL
            .get(usize::try_from(n.checked_sub(1)?).ok()?)
            .copied()
    }

    /// The level whose codes have `n` digits, if any.
    pub fn from_digits(n: usize) -> Option<DivisionLevel> {
        DivisionLevel::ALL.into_iter().find(|l| l.digits() == n)
    }

    /// Code length at this level.
    pub fn digits(self) -> usize {
        [2, 4, 6, 9, 12][self as usize]
    }

    /// The level one up (`None` for a province).
    pub fn parent(self) -> Option<DivisionLevel> {
        DivisionLevel::from_number(self.number() - 1)
    }

    /// The level one down (`None` for a committee).
    pub fn child(self) -> Option<DivisionLevel> {
        DivisionLevel::from_number(self.number() + 1)
    }

    /// The region level's key in files and answers: `province`, `city`, `district`, `street`,
    /// `community` (the platform's indicator files, the monitoring series, the plans' levels).
    pub fn region_key(self) -> &'static str {
        ["province", "city", "district", "street", "community"][self as usize]
    }

    /// The level of a region key ([`DivisionLevel::region_key`]).
    pub fn from_region_key(key: &str) -> Option<DivisionLevel> {
        DivisionLevel::ALL
            .into_iter()
            .find(|l| l.region_key() == key)
    }

    /// The length of the division codes a region key names: 2, 4, 6 or 9 for `province`,
    /// `city`, `district`, `street`; `None` for `community` (its region is a community id, not a
    /// code) and for anything else.
    pub fn code_digits_of_region_key(key: &str) -> Option<usize> {
        DivisionLevel::from_region_key(key)
            .filter(|l| *l != DivisionLevel::Committee)
            .map(DivisionLevel::digits)
    }

    /// Chinese name of the level.
    pub fn zh(self) -> &'static str {
        [
            "省级",
            "地级",
            "县级",
            "乡级（街道、镇、乡）",
            "村级（社区、村委会）",
        ][self as usize]
    }
}

/// The level of a division code, `None` when `code` is not one (see the module documentation:
/// 2, 4, 6, 9 or 12 digits, a known province). Not trimmed.
pub fn level_of(code: &str) -> Option<DivisionLevel> {
    let level = DivisionLevel::from_digits(code.len())?;
    (code.bytes().all(|b| b.is_ascii_digit()) && PROVINCES.contains(&&code[..2])).then_some(level)
}

/// Whether `code` is a division code (see [`level_of`]).
pub fn is_code(code: &str) -> bool {
    level_of(code).is_some()
}

/// The region of `code` at `level`: its prefix of that level's length; `None` when `code` is
/// not a division code or is of a wider level than `level` (a city has no county).
///
/// `prefix_at("110108010031", County) == Some("110108")`; `prefix_at("110108", Street) == None`.
pub fn prefix_at(code: &str, level: DivisionLevel) -> Option<&str> {
    let own = level_of(code)?;
    (level <= own).then(|| &code[..level.digits()])
}

/// Every region `code` lies in, widest first, down to the code itself (empty when `code` is
/// not a division code): `110108` → `[(Province, "11"), (Prefecture, "1101"), (County,
/// "110108")]`.
pub fn prefixes(code: &str) -> Vec<(DivisionLevel, &str)> {
    let Some(own) = level_of(code) else {
        return Vec::new();
    };
    DivisionLevel::ALL
        .into_iter()
        .take_while(|l| *l <= own)
        .map(|l| (l, &code[..l.digits()]))
        .collect()
}

/// The province (2 digits) of a division code.
pub fn province(code: &str) -> Option<&str> {
    prefix_at(code, DivisionLevel::Province)
}

/// The prefecture-level city (4 digits) of a division code of that level or below.
pub fn city(code: &str) -> Option<&str> {
    prefix_at(code, DivisionLevel::Prefecture)
}

/// The county or district (6 digits) of a division code of that level or below.
pub fn county(code: &str) -> Option<&str> {
    prefix_at(code, DivisionLevel::County)
}

/// Whether `s` can be used as a code-prefix filter: 1 to 12 ASCII digits.
pub fn is_code_prefix(s: &str) -> bool {
    (1..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// The 12-digit form used by statistical tables (`110108` → `110108000000`).
pub fn padded12(code: &str) -> String {
    format!("{code:0<12}")
}

/// Why a string is not a division code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    /// Not all ASCII digits.
    #[error("a division code has only digits")]
    NotDigits,
    /// A length other than 2, 4, 6, 9 or 12.
    #[error("a division code has 2, 4, 6, 9 or 12 digits, found {0}")]
    Length(usize),
    /// The first two digits are no provincial-level division of GB/T 2260.
    #[error("the first two digits {0} are not a province's code (11 to 82 in GB/T 2260)")]
    Province(String),
}

/// A division code at one of the five levels, checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct DivisionCode(String);

impl DivisionCode {
    /// Parses a code (trimmed).
    pub fn parse(s: &str) -> Result<DivisionCode, DivisionCodeError> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DivisionCodeError::NotDigits);
        }
        if DivisionLevel::from_digits(s.len()).is_none() {
            return Err(DivisionCodeError::Length(s.len()));
        }
        if !is_code(s) {
            return Err(DivisionCodeError::Province(s[..2].to_string()));
        }
        Ok(DivisionCode(s.to_string()))
    }

    /// The code's level.
    pub fn level(&self) -> DivisionLevel {
        // A parsed code has one of the five lengths.
        DivisionLevel::from_digits(self.0.len()).unwrap_or(DivisionLevel::Committee)
    }

    /// The parent's code (the prefix one level up), `None` for a province.
    pub fn parent(&self) -> Option<DivisionCode> {
        let level = self.level().parent()?;
        Some(DivisionCode(self.0[..level.digits()].to_string()))
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 12-digit form used by statistical tables (`110108` → `110108000000`).
    pub fn padded12(&self) -> String {
        padded12(&self.0)
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DivisionLevel::*;

    #[test]
    fn levels_parents_and_regions() {
        let c = DivisionCode::parse("110108010031").unwrap();
        assert_eq!(c.level(), Committee);
        let chain: Vec<String> = std::iter::successors(Some(c), |c| c.parent())
            .map(|c| c.to_string())
            .collect();
        assert_eq!(chain, ["110108010031", "110108010", "110108", "1101", "11"]);
        assert_eq!(
            DivisionCode::parse(" 110108 ").unwrap().padded12(),
            "110108000000"
        );
        for n in 1..=5 {
            assert_eq!(DivisionLevel::from_number(n).unwrap().number(), n);
        }
        assert_eq!(DivisionLevel::from_number(0), None);
        assert_eq!(DivisionLevel::from_number(6), None);
        assert_eq!(Province.parent(), None);
        assert_eq!(Committee.child(), None);
        assert_eq!(County.parent(), Some(Prefecture));
        assert_eq!(County.child(), Some(Street));
        assert_eq!(
            prefixes("110108010"),
            [
                (Province, "11"),
                (Prefecture, "1101"),
                (County, "110108"),
                (Street, "110108010")
            ]
        );
        assert_eq!(province("510104020"), Some("51"));
        assert_eq!(city("510104020"), Some("5101"));
        assert_eq!(county("510104020"), Some("510104"));
        assert_eq!(county("5101"), None, "a city has no county");
        assert_eq!(prefix_at("110108", Street), None);
        assert_eq!(prefix_at("11010801003x", Province), None);
        for l in DivisionLevel::ALL {
            assert_eq!(DivisionLevel::from_region_key(l.region_key()), Some(l));
        }
        assert_eq!(County.region_key(), "district");
        let digits = |k| DivisionLevel::code_digits_of_region_key(k);
        assert_eq!(
            ["province", "city", "district", "street"].map(digits),
            [Some(2), Some(4), Some(6), Some(9)]
        );
        assert_eq!(digits("community"), None);
        assert_eq!(digits("county"), None);
    }

    #[test]
    fn bad_codes() {
        assert_eq!(
            DivisionCode::parse("1101080100"),
            Err(DivisionCodeError::Length(10))
        );
        assert_eq!(
            DivisionCode::parse("11010801003a"),
            Err(DivisionCodeError::NotDigits)
        );
        assert_eq!(
            DivisionCode::parse("00"),
            Err(DivisionCodeError::Province("00".into()))
        );
        // The province part is checked at every level (a 12-digit code of zeros, a county
        // code below 110000, a region digit of 9: none names a place).
        for bad in ["000000000000", "100000", "990000", "1600", "20"] {
            assert!(DivisionCode::parse(bad).is_err(), "{bad}");
            assert!(!is_code(bad), "{bad}");
            assert!(prefixes(bad).is_empty(), "{bad}");
        }
        // Real codes with a skipped level (东莞市 has no counties), Chongqing (50), Macao (82).
        for good in ["441900003", "500101", "82", "710000"] {
            assert!(DivisionCode::parse(good).is_ok(), "{good}");
        }
        assert!(!is_code("北京市"));
        assert!(
            level_of("１１").is_none(),
            "full-width digits are not digits"
        );
        assert!(is_code_prefix("1101"));
        assert!(is_code_prefix("0"));
        assert!(!is_code_prefix("11%"));
        assert!(!is_code_prefix(""));
        assert!(!is_code_prefix("1234567890123"));
    }
}

//! Statistical division codes (NBS 统计用区划代码): 2-digit province, 4-digit prefecture,
//! 6-digit county (GB/T 2260), 9-digit street/town, 12-digit community/village committee.
//! The parent of a code is its prefix one level up.

use std::fmt;

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

/// Why a string is not a division code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    /// Not all ASCII digits.
    #[error("a division code has only digits")]
    NotDigits,
    /// A length other than 2, 4, 6, 9 or 12.
    #[error("a division code has 2, 4, 6, 9 or 12 digits, found {0}")]
    Length(usize),
    /// The province part is `00`.
    #[error("the province part of the code is 00")]
    ZeroPart,
}

/// A division code at one of the five levels.
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
        let level =
            DivisionLevel::from_digits(s.len()).ok_or(DivisionCodeError::Length(s.len()))?;
        // Only an all-zero code is refused: the real list has zero parts where a level is
        // skipped (东莞市 441900 has no counties, 金门县 350527000 has placeholder children).
        if level == DivisionLevel::Province && s == "00" {
            return Err(DivisionCodeError::ZeroPart);
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
        let level = DivisionLevel::from_number(self.level().number() - 1)?;
        Some(DivisionCode(self.0[..level.digits()].to_string()))
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 12-digit form used by statistical tables (`110108` → `110108000000`).
    pub fn padded12(&self) -> String {
        format!("{:0<12}", self.0)
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a code prefix used as a filter (1 to 12 digits).
pub fn is_code_prefix(s: &str) -> bool {
    (1..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parents() {
        let c = DivisionCode::parse("110108010031").unwrap();
        assert_eq!(c.level(), DivisionLevel::Committee);
        let chain: Vec<String> = std::iter::successors(Some(c), |c| c.parent())
            .map(|c| c.to_string())
            .collect();
        assert_eq!(chain, ["110108010031", "110108010", "110108", "1101", "11"]);
        assert_eq!(
            DivisionCode::parse("110108").unwrap().padded12(),
            "110108000000"
        );
        for n in 1..=5 {
            assert_eq!(DivisionLevel::from_number(n).unwrap().number(), n);
        }
        assert_eq!(DivisionLevel::from_number(0), None);
        assert_eq!(DivisionLevel::from_number(6), None);
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
        assert_eq!(DivisionCode::parse("00"), Err(DivisionCodeError::ZeroPart));
        // Real codes with a skipped level (东莞市 has no counties).
        assert!(DivisionCode::parse("441900003").is_ok());
        assert!(is_code_prefix("1101"));
        assert!(!is_code_prefix("11%"));
        assert!(!is_code_prefix(""));
    }
}

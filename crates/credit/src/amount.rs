//! Amounts of the 双公示 layout: fines and confiscations are written in **万元** (units of
//! 10,000 yuan: `CF_NR_FK`, `CF_NR_WFFF`, `PLATFORM.md` §2a fact 3), never in yuan. The platform
//! keeps money in fen (分, 1/100 yuan), so 1 万元 = 1,000,000 fen and the smallest amount a
//! 万元 figure can carry is 0.000001 万元 = 1 fen.

use std::fmt;

/// Fen in one 万元.
pub const FEN_PER_WAN: i64 = 1_000_000;

/// The largest amount accepted: 1,000,000 万元 (10 billion yuan), far above any fine.
pub const MAX_WAN: i64 = 1_000_000;

/// Why a 万元 figure was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("'{0}' is not an amount in 万元 (digits, at most one decimal point)")]
    NotANumber(String),
    #[error("'{0}' is more precise than a fen (at most 6 decimals in 万元)")]
    TooPrecise(String),
    #[error("'{0}' is negative")]
    Negative(String),
    #[error("'{0}' exceeds {MAX_WAN} 万元")]
    TooLarge(String),
}

impl AmountError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AmountError::NotANumber(_) => "invalid_amount",
            AmountError::TooPrecise(_) => "amount_too_precise",
            AmountError::Negative(_) => "negative_amount",
            AmountError::TooLarge(_) => "amount_too_large",
        }
    }

    /// 中文说明.
    pub fn message_zh(&self) -> String {
        match self {
            AmountError::NotANumber(s) => {
                format!("'{s}' 不是以万元计的金额（数字，最多一个小数点）")
            }
            AmountError::TooPrecise(s) => format!("'{s}' 精确到分以下（万元最多 6 位小数）"),
            AmountError::Negative(s) => format!("'{s}' 为负数"),
            AmountError::TooLarge(s) => format!("'{s}' 超过 {MAX_WAN} 万元"),
        }
    }
}

/// An amount in fen, read from and written as 万元.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Wan(pub i64);

impl Wan {
    /// Parses a 万元 figure exactly (no floating point): `"1.5"` → 1,500,000 fen. Surrounding
    /// spaces and a leading `+` are allowed; thousands separators, exponents and units are not.
    pub fn parse(text: &str) -> Result<Wan, AmountError> {
        let t = text.trim();
        let shown = lc_model::quote(t);
        if t.starts_with('-') {
            return Err(AmountError::Negative(shown));
        }
        let t = t.strip_prefix('+').unwrap_or(t);
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
            return Err(AmountError::NotANumber(shown));
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 6 {
            return Err(AmountError::TooPrecise(shown));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 7 {
            return Err(AmountError::TooLarge(shown));
        }
        let w: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| AmountError::NotANumber(shown.clone()))?
        };
        if w > MAX_WAN {
            return Err(AmountError::TooLarge(shown));
        }
        let f: i64 = if frac.is_empty() {
            0
        } else {
            let padded = format!("{frac:0<6}");
            padded
                .parse()
                .map_err(|_| AmountError::NotANumber(shown.clone()))?
        };
        let fen = w * FEN_PER_WAN + f;
        if fen > MAX_WAN * FEN_PER_WAN {
            return Err(AmountError::TooLarge(shown));
        }
        Ok(Wan(fen))
    }

    /// The amount in fen.
    pub fn fen(self) -> i64 {
        self.0
    }

    /// The amount in yuan, as text with two decimals (`15000.00`).
    pub fn yuan(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Wan {
    /// As 万元, without trailing zeros: 1,500,000 fen → `1.5`, 1 fen → `0.000001`, 0 → `0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / FEN_PER_WAN;
        let frac = self.0 % FEN_PER_WAN;
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{frac:06}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wan_figures_are_read_exactly() {
        // 1.5 万元 = 15,000 yuan = 1,500,000 fen; 0.2 万元 = 2,000 yuan; 0.000001 万元 = 0.01 yuan.
        for (text, fen) in [
            ("1.5", 1_500_000),
            ("0.2", 200_000),
            ("0.000001", 1),
            ("3", 3_000_000),
            (" +12.3400 ", 12_340_000),
            (".5", 500_000),
            ("5.", 5_000_000),
            ("0", 0),
            ("1000000", 1_000_000_000_000),
        ] {
            assert_eq!(Wan::parse(text), Ok(Wan(fen)), "{text}");
        }
        assert_eq!(Wan(1_500_000).yuan(), "15000.00");
        assert_eq!(Wan(1).yuan(), "0.01");
    }

    #[test]
    fn wan_figures_are_written_back_the_same() {
        for (fen, text) in [
            (1_500_000, "1.5"),
            (1, "0.000001"),
            (0, "0"),
            (30_000_000, "30"),
            (123_456_789, "123.456789"),
        ] {
            assert_eq!(Wan(fen).to_string(), text);
            assert_eq!(Wan::parse(text), Ok(Wan(fen)));
        }
    }

    #[test]
    fn yuan_habits_and_nonsense_are_refused() {
        for (text, code) in [
            ("0.0000001", "amount_too_precise"),
            ("-1", "negative_amount"),
            ("1,000", "invalid_amount"),
            ("1e3", "invalid_amount"),
            ("5万元", "invalid_amount"),
            ("", "invalid_amount"),
            (".", "invalid_amount"),
            ("1.2.3", "invalid_amount"),
            ("1000001", "amount_too_large"),
            ("99999999999999999999", "amount_too_large"),
        ] {
            assert_eq!(Wan::parse(text).unwrap_err().code(), code, "{text}");
        }
    }
}

//! Resident identity card number (公民身份号码, GB 11643-1999): 6-digit area, birth date
//! YYYYMMDD, 3-digit sequence (odd male, even female), check character `"10X98765432"[Σ mod 11]`.
//!
//! The number is personal data. [`ResidentId`] deliberately has no `Display` and no
//! `Serialize`: the only ways out are [`ResidentId::masked`] and [`ResidentId::fingerprint_input`]
//! (for a keyed hash), so a full number cannot end up in a response or a log by accident.

use std::fmt;

/// Weights 2^(18-i) mod 11 for positions 1..=17.
pub const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

const CHECK: &[u8; 11] = b"10X98765432";

/// The earliest birth year accepted: nobody registered today was born before 1900.
pub const FIRST_BIRTH_YEAR: u32 = 1900;

/// Why a string is not a resident ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Not 18 characters long (15-digit first-generation numbers are not accepted).
    #[error("a resident ID number has 18 characters, found {0}")]
    Length(usize),
    /// A non-digit among the first 17, or a last character that is not a digit or X.
    #[error("character {0} must be a digit (the 18th may be X)")]
    Character(usize),
    /// Characters 7-14 are not a real date between 1900-01-01 and 2099-12-31.
    #[error("characters 7-14 are not a real birth date")]
    BirthDate,
    /// The check character does not match.
    #[error("check character does not match")]
    Check,
}

/// A valid 18-character resident ID number. Never displayed or serialised in full.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

/// The check character of 17 digits, or `None` if `body` is not 17 ASCII digits.
pub fn resident_id_check_char(body: &str) -> Option<char> {
    let b = body.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| (d - b'0') as u32 * w)
        .sum();
    Some(CHECK[(sum % 11) as usize] as char)
}

/// Whether `y-m-d` is a real Gregorian date.
pub fn is_real_date(y: u32, m: u32, d: u32) -> bool {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

impl ResidentId {
    /// Parses a number: whitespace trimmed, a lower-case x accepted; length, digits, birth
    /// date and check character verified. The area code is not checked against today's list
    /// (codes are retired, and the standard's own example 440524 is no longer listed).
    pub fn parse(s: &str) -> Result<ResidentId, ResidentIdError> {
        let up = crate::check::code_18(s).map_err(ResidentIdError::Length)?;
        let b = up.as_bytes();
        if b.len() != 18 {
            return Err(ResidentIdError::Character(1));
        }
        for (i, c) in b.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && *c == b'X');
            if !ok {
                return Err(ResidentIdError::Character(i + 1));
            }
        }
        let num = |r: std::ops::Range<usize>| up[r].parse::<u32>().unwrap_or(0);
        let (y, m, d) = (num(6..10), num(10..12), num(12..14));
        if !(FIRST_BIRTH_YEAR..=2099).contains(&y) || !is_real_date(y, m, d) {
            return Err(ResidentIdError::BirthDate);
        }
        if resident_id_check_char(&up[..17]) != Some(b[17] as char) {
            return Err(ResidentIdError::Check);
        }
        Ok(ResidentId(up))
    }

    /// The masked form shown everywhere: the first 4 and the last 4 characters kept,
    /// e.g. `1101**********002X`.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }

    /// Birth date as `YYYY-MM-DD`.
    pub fn birth_date(&self) -> String {
        format!("{}-{}-{}", &self.0[6..10], &self.0[10..12], &self.0[12..14])
    }

    /// `"male"` for an odd sequence number, `"female"` for an even one.
    pub fn sex(&self) -> &'static str {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            "male"
        } else {
            "female"
        }
    }

    /// The full number, only to be fed to a keyed hash (the store keeps a fingerprint to find
    /// duplicates, never the number).
    pub fn fingerprint_input(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard's first example, and its second (born 1880) moved to 1980.
    const EXAMPLES: [&str; 2] = ["11010519491231002X", "440524198001010013"];

    #[test]
    fn standard_examples_are_accepted() {
        for s in EXAMPLES {
            assert!(ResidentId::parse(s).is_ok(), "{s}");
        }
        let id = ResidentId::parse("11010519491231002x").unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(id.birth_date(), "1949-12-31");
        assert_eq!(id.sex(), "female");
        let id = ResidentId::parse("440524198001010013").unwrap();
        assert_eq!(id.sex(), "male");
        assert_eq!(format!("{id:?}"), "ResidentId(4405**********0013)");
    }

    #[test]
    fn sums_match_the_standard() {
        let sum = |s: &str| -> u32 {
            s.bytes()
                .take(17)
                .zip(ID_WEIGHTS)
                .map(|(d, w)| (d - b'0') as u32 * w)
                .sum()
        };
        assert_eq!(sum("11010519491231002X"), 167);
        assert_eq!(sum("440524188001010014"), 195);
        assert_eq!(sum("440524198001010013"), 196);
    }

    #[test]
    fn every_single_digit_change_is_rejected() {
        let alphabet = |pos| -> &'static [u8] {
            if pos == 17 {
                b"0123456789X"
            } else {
                b"0123456789"
            }
        };
        for s in EXAMPLES {
            for changed in crate::one_character_changes(s, alphabet) {
                assert!(
                    ResidentId::parse(&changed).is_err(),
                    "{changed} (from {s}) was accepted"
                );
            }
        }
    }

    #[test]
    fn impossible_dates_and_bad_shapes_are_rejected() {
        // 1949-02-30 with a correct check character for those 17 digits.
        let body = "11010519490230002";
        let full = format!("{body}{}", resident_id_check_char(body).unwrap());
        assert_eq!(ResidentId::parse(&full), Err(ResidentIdError::BirthDate));
        assert_eq!(
            ResidentId::parse("11010519491231002"),
            Err(ResidentIdError::Length(17))
        );
        assert_eq!(
            ResidentId::parse("1101051949123100XX"),
            Err(ResidentIdError::Character(17))
        );
        // Birth years before 1900 are refused, with a correct check character (the
        // standard's own example of a man born in 1880 among them).
        for old in ["440524188001010014", "110105189912310023"] {
            assert_eq!(
                ResidentId::parse(old),
                Err(ResidentIdError::BirthDate),
                "{old}"
            );
        }
        assert!(ResidentId::parse("11010519000101001X").is_ok());
        assert!(is_real_date(2000, 2, 29));
        assert!(!is_real_date(1900, 2, 29));
    }
}

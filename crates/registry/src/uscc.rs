//! Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters with a check
//! character computed over the first 17 with weights 3^(i-1) mod 31.

use std::fmt;
use std::str::FromStr;

/// The 31 characters of the code, in value order (I, O, Z, S and V are not used).
pub const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1..=17: 3^(i-1) mod 31.
pub const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a string is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not 18 characters long.
    #[error("a unified social credit code has 18 characters, found {0}")]
    Length(usize),
    /// A character outside the code's 31-character set.
    #[error("character {position} '{found}' is not allowed (0-9 and A-Y without I, O, S, V, Z)")]
    Character {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The first character (registration authority) is `0`, which GB 32100 assigns to no
    /// authority (this refuses the all-zero code, whose check character is valid).
    #[error("character 1 '0' names no registration authority")]
    Authority,
    /// The check character does not match.
    #[error("check character is '{found}', expected '{expected}'")]
    Check {
        /// The 18th character as given.
        found: char,
        /// What GB 32100 gives for the first 17.
        expected: char,
    },
}

/// A valid unified social credit code (upper case, check character verified).
///
/// A valid check character does not prove that the entity exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Uscc(String);

fn value_of(c: u8) -> Option<u32> {
    USCC_CHARS.iter().position(|&x| x == c).map(|v| v as u32)
}

/// The check character GB 32100 gives for 17 characters of the code's alphabet.
///
/// Returns `None` when `body` is not 17 characters of the alphabet.
pub fn uscc_check_char(body: &str) -> Option<char> {
    let bytes = body.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in bytes.iter().zip(USCC_WEIGHTS) {
        sum += value_of(*b)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(USCC_CHARS[check as usize] as char)
}

impl Uscc {
    /// Parses a code: surrounding whitespace is trimmed, lower-case letters are accepted and
    /// upper-cased; length, alphabet and check character are verified.
    pub fn parse(s: &str) -> Result<Uscc, UsccError> {
        let up = crate::check::code_18(s).map_err(UsccError::Length)?;
        for (i, c) in up.chars().enumerate() {
            if !c.is_ascii() || value_of(c as u8).is_none() {
                return Err(UsccError::Character {
                    position: i + 1,
                    found: c,
                });
            }
        }
        if up.starts_with('0') {
            return Err(UsccError::Authority);
        }
        let expected = uscc_check_char(&up[..17]).unwrap_or('?');
        let found = up.as_bytes()[17] as char;
        if expected != found {
            return Err(UsccError::Check { found, expected });
        }
        Ok(Uscc(up))
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Registration authority and entity type from characters 1-2, in Chinese and English.
    pub fn kind(&self) -> (&'static str, &'static str) {
        match &self.0[..2] {
            "91" => ("企业", "enterprise"),
            "92" => ("个体工商户", "individual business"),
            "93" => ("农民专业合作社", "farmers' cooperative"),
            s if s.starts_with('5') => ("社会组织", "social organisation"),
            s if s.starts_with('1') => ("机关事业单位", "public institution"),
            _ => ("其他", "other"),
        }
    }

    /// Characters 3-8: the division code of the registering authority (may be obsolete).
    pub fn registration_division(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published codes (DOMAIN.md §7.1).
    const REAL: [&str; 4] = [
        "91350100M000100Y43",
        "91310110666007217T",
        "91310115591693856A",
        "91110108551385082Q",
    ];

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1u32;
        for expected in USCC_WEIGHTS {
            assert_eq!(w, expected);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn worked_example_sums_to_1640() {
        let body = "91350100M000100Y4";
        let sum: u32 = body
            .bytes()
            .zip(USCC_WEIGHTS)
            .map(|(b, w)| value_of(b).unwrap() * w)
            .sum();
        assert_eq!(sum, 1640);
        assert_eq!(uscc_check_char(body), Some('3'));
    }

    #[test]
    fn real_codes_are_accepted() {
        for code in REAL {
            let u = Uscc::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(u.as_str(), code);
            assert_eq!(u.kind().1, "enterprise");
        }
        // Lower case and surrounding spaces are normalised.
        assert_eq!(
            Uscc::parse(" 91310110666007217t ").unwrap().as_str(),
            "91310110666007217T"
        );
    }

    #[test]
    fn every_single_character_change_is_rejected() {
        // The check is a weighted sum mod 31 with weights coprime to 31: changing any one
        // character to any other character of the alphabet changes the sum mod 31.
        for code in REAL {
            for changed in crate::one_character_changes(code, |_| USCC_CHARS) {
                assert!(
                    Uscc::parse(&changed).is_err(),
                    "{changed} (from {code}) was accepted"
                );
            }
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(Uscc::parse("91350100M000100Y4"), Err(UsccError::Length(17)));
        assert_eq!(
            Uscc::parse("91350100M000100I43"),
            Err(UsccError::Character {
                position: 16,
                found: 'I'
            })
        );
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(UsccError::Check {
                found: '4',
                expected: '3'
            })
        );
        assert!(Uscc::parse("９1350100M000100Y43").is_err());
    }

    #[test]
    fn the_all_zero_code_is_refused() {
        // Its check character is right (a zero sum), but no authority has the code 0.
        assert_eq!(uscc_check_char("00000000000000000"), Some('0'));
        assert_eq!(Uscc::parse("000000000000000000"), Err(UsccError::Authority));
        let body = "01350100M000100Y4";
        let code = format!("{body}{}", uscc_check_char(body).unwrap());
        assert_eq!(Uscc::parse(&code), Err(UsccError::Authority));
    }
}

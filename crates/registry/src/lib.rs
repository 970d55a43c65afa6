//! livingcircle's service-platform domain: validated national codes and registry records.
//!
//! * [`Uscc`]: unified social credit code, GB 32100-2015 check character.
//! * [`ResidentId`]: resident ID number, GB 11643-1999, never displayed in full.
//! * [`DivisionCode`]: NBS statistical division codes, 5 levels, parents by prefix.
//! * [`Role`] and [`Access`]: who may call what.
//! * [`nbs`]: the NBS life-service classification (2019) as versioned data.
//! * [`records`]: what a client sends for each registry record, checked into stored columns.
//!
//! No I/O: the store (`lc-store`) and the HTTP server (`lc-server`) build on these types.

pub mod check;
mod division;
mod geometry;
mod mask;
pub mod nbs;
pub mod records;
mod resident_id;
mod role;
mod uscc;

pub use check::{is_invisible, parse_date, Check, FieldError};
pub use division::{is_code_prefix, DivisionCode, DivisionCodeError, DivisionLevel};
pub use geometry::check_boundary;
pub use mask::{is_phone, mask_name, mask_phone};
pub use resident_id::{is_real_date, resident_id_check_char, ResidentId, ResidentIdError};
pub use role::{Access, Role, UnknownRole};
pub use uscc::{uscc_check_char, Uscc, UsccError, USCC_CHARS, USCC_WEIGHTS};

/// Every string that differs from `code` in exactly one position, by another character of
/// that position's alphabet (for the tests of check characters).
#[cfg(test)]
pub(crate) fn one_character_changes(
    code: &str,
    alphabet: impl Fn(usize) -> &'static [u8],
) -> Vec<String> {
    let mut out = Vec::new();
    for pos in 0..code.len() {
        for &c in alphabet(pos) {
            let mut b = code.as_bytes().to_vec();
            if b[pos] == c {
                continue;
            }
            b[pos] = c;
            out.push(String::from_utf8(b).unwrap());
        }
    }
    out
}

//! The pure rules of 好差评 (issue 12), no I/O: what the server's reviews domain checks and decides
//! inside its write transactions.
//!
//! - [`level`]: the five levels and their classes 好评/中评/差评.
//! - [`indicators`]: the indicator sets as versioned data.
//! - [`workdays`]: the working-day calendar (public holidays and 调休) and deadline arithmetic.
//! - [`jurisdiction`]: per-jurisdiction deadlines and the default rating, as data.
//! - [`case`]: the 差评 case as a state machine, with appeal (申诉复核).
//! - [`rating`]: public ratings recomputed from review events.

pub mod case;
pub mod indicators;
pub mod jurisdiction;
pub mod level;
pub mod rating;
pub mod workdays;

use lc_registry::FieldError;

/// Turns a parse error of embedded or supplied data into one field error.
pub(crate) fn data_error(field: &str, e: impl std::fmt::Display) -> Vec<FieldError> {
    let mut c = lc_registry::Check::new();
    c.fail(
        field,
        "invalid_data",
        format!("{field} 数据无法解析：{e}"),
        format!("{field} data cannot be parsed: {e}"),
    );
    c.errors
}

/// Serde for a civil date as `YYYY-MM-DD`.
pub(crate) mod ymd {
    use jiff::civil::Date;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        lc_services::time::parse_date(&s).map_err(serde::de::Error::custom)
    }

    /// The same for an optional date.
    pub mod opt {
        use super::*;

        pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.collect_str(d),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| lc_services::time::parse_date(&s).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

//! livingcircle's shared vocabulary: facility categories, communities and facilities.
//!
//! Everything here is plain data with no I/O (and the wording rules every message shares:
//! [`quote`], [`count`], [`io_reason`]). Readers of files live in `lc-tables` and
//! `lc-osm`; the engine in `lc-network` and `lc-access` works on these types.
//!
//! Glossary: a *community* (社区/小区) is a residential place with a population; a
//! *facility* (设施) is a life-service outlet with a [`Category`]. Coordinates are always
//! WGS-84 longitude/latitude in degrees once inside the program.

mod category;
pub mod division;
mod facility_list;
mod platform;
mod points;
mod text;

pub use category::{
    known_keys, markdown_table, Category, CategoryInfo, Demand, Group, UnknownCategory, CATEGORIES,
};
pub use division::{DivisionCode, DivisionCodeError, DivisionLevel};
pub use facility_list::{Detail, FacilityIds, FacilityList};
pub use platform::{PlatformIndicators, PlatformRow, PLATFORM_LEVELS};
pub use points::{Candidate, Community, Facility, LonLat};
pub use text::{count, io_reason, plural, quote, MAX_SHOWN_CHARS};

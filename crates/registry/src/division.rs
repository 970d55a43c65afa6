//! Statistical division codes (NBS 统计用区划代码): the rules live in `lc_model::division`
//! (the lowest crate, so that the engine, the assessment and the platform share them); the
//! registry re-exports them for its records.

pub use lc_model::division::{is_code_prefix, DivisionCode, DivisionCodeError, DivisionLevel};

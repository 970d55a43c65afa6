//! Standards and 2025 targets as data: the model, TOML parsing with located errors, and the files
//! shipped with livingcircle.
//!
//! - A **standard** (`standards/*.toml`) has levels (5/10/15-minute circles, MOFCOM tiers) and
//!   requirements every community must meet: facilities of some categories within a walking
//!   distance ([`Rule::Within`]), or a capacity/area ratio ([`Rule::Ratio`]).
//! - A **plan** (`targets/*.toml`) has the 2025 targets of one policy document: indicators
//!   computed per region ([`IndicatorKind`]) with threshold, comparison and the plan's sentence,
//!   and the targets that need data livingcircle does not hold ([`Unavailable`]).
//!
//! The schema is documented in `docs/standards.md`. Errors name the file, the line, the column
//! and the key ([`SpecError`]).
//!
//! **Architecture invariant:** no I/O: callers pass the text; the shipped files are compiled in.

mod model;
mod parse;

pub use model::*;
pub use parse::{check_plan, parse_plan, parse_standard, SpecError};

/// The standards shipped in `standards/`, as `(file name, text)`.
pub const SHIPPED_STANDARDS: &[(&str, &str)] = &[
    (
        "standards/gb50180-2018.toml",
        include_str!("../../../standards/gb50180-2018.toml"),
    ),
    (
        "standards/mofcom-15min.toml",
        include_str!("../../../standards/mofcom-15min.toml"),
    ),
    (
        "standards/complete-community.toml",
        include_str!("../../../standards/complete-community.toml"),
    ),
];

/// The plans shipped in `targets/`, as `(file name, text)`.
pub const SHIPPED_PLANS: &[(&str, &str)] = &[
    (
        "targets/cn-national.toml",
        include_str!("../../../targets/cn-national.toml"),
    ),
    (
        "targets/gs-gansu.toml",
        include_str!("../../../targets/gs-gansu.toml"),
    ),
    (
        "targets/he-hebei.toml",
        include_str!("../../../targets/he-hebei.toml"),
    ),
    (
        "targets/hl-heilongjiang.toml",
        include_str!("../../../targets/hl-heilongjiang.toml"),
    ),
    (
        "targets/sx-shanxi.toml",
        include_str!("../../../targets/sx-shanxi.toml"),
    ),
];

/// Parses every shipped standard.
pub fn shipped_standards() -> Result<Vec<Standard>, SpecError> {
    SHIPPED_STANDARDS
        .iter()
        .map(|(f, t)| parse_standard(f, t))
        .collect()
}

/// Parses every shipped plan.
pub fn shipped_plans() -> Result<Vec<Plan>, SpecError> {
    SHIPPED_PLANS
        .iter()
        .map(|(f, t)| parse_plan(f, t))
        .collect()
}

#[cfg(test)]
mod tests;

//! Facility siting: where new facilities close the most gaps, with a proven bound on how far
//! the answer can be from the best.
//!
//! Five problems on an [`Instance`] (communities with demand, candidate sites, existing
//! facilities that are already open, sparse walking distances; a pair not listed is
//! unreachable):
//!
//! - [`Problem::Mclp`], maximal coverage: choose p sites maximising the demand within the
//!   radius (existing facilities included);
//! - [`Problem::Lscp`], set cover: the fewest sites bringing every community that any candidate
//!   can reach within the radius;
//! - [`Problem::PMedian`]: p sites minimising the demand-weighted distance to the nearest open
//!   facility (a community reaching nothing counts at a penalty distance);
//! - [`Problem::Capacitated`]: p sites maximising the demand that gets a place, every facility
//!   serving at most its capacity and only within the radius;
//! - [`Problem::BudgetCoverage`], budgeted maximal coverage: sites whose costs add up to at
//!   most a budget, maximising the demand within the radius (existing facilities included).
//!
//! [`solve`] reduces the instance (exactly: see the modules), runs a fast heuristic (lazy
//! greedy and swap local search), computes a Lagrangian bound from LP duals (HiGHS) or
//! subgradient steps, and, when the gap is still open and [`Method`] allows, solves the exact
//! MILP with HiGHS within the time limit. Every [`Solution`] carries its bound and relative
//! gap. [`evaluate`] scores a set of sites on the full instance: objective, coverage before and
//! after, the assignment of every community and what each site brings. [`instance_on_network`]
//! builds an instance from a walking network with `lc-access`.
//!
//! **Architecture invariant:** no I/O and no formats. Coverage is `distance ≤ radius`; an
//! unreachable pair is absent, never a NaN or a sentinel. Results do not depend on thread
//! count; ties go to the lower candidate index. A reported bound is valid whatever the LP
//! solver's tolerances: it is recomputed from multipliers by a bound function that is valid
//! for any multipliers.

// Index loops over parallel arrays are the clearest form of these algorithms.
#![allow(clippy::needless_range_loop)]

mod budget;
mod capacitated;
mod coverage;
mod error;
mod evaluate;
mod instance;
mod median;
#[cfg(feature = "milp")]
mod milp;
mod network;
mod solve;
mod util;

pub use error::SitingError;
pub use evaluate::{evaluate, Assigned, Assignment, Evaluation, SiteStats};
pub use instance::{Instance, InstanceData, UNLIMITED};
pub use network::{instance_on_network, NetworkInput};
pub use solve::{solve, Method, Options, Reduction, Solution};

/// Which siting problem to solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Problem {
    /// Maximal coverage: `p` sites, coverage within `radius` metres.
    Mclp {
        /// Number of new sites.
        p: usize,
        /// Coverage radius in metres (inclusive).
        radius: f64,
    },
    /// Set cover: the fewest sites so that every coverable community is within `radius`.
    Lscp {
        /// Coverage radius in metres (inclusive).
        radius: f64,
    },
    /// p-median: `p` sites minimising demand-weighted distance; a community farther than
    /// `penalty` from every open facility (or reaching none) counts at `penalty`. `radius`
    /// is used only to report coverage.
    PMedian {
        /// Number of new sites.
        p: usize,
        /// Distance charged when nothing open is nearer (metres, finite).
        penalty: f64,
        /// Radius for the coverage figures (metres).
        radius: f64,
    },
    /// Capacitated coverage: `p` sites; every open facility serves at most its capacity, only
    /// communities within `radius`.
    Capacitated {
        /// Number of new sites.
        p: usize,
        /// Service radius in metres (inclusive).
        radius: f64,
    },
    /// Budgeted maximal coverage: sites whose costs ([`Instance::cost`], needed for every
    /// candidate) add up to at most `budget`, coverage within `radius` metres.
    BudgetCoverage {
        /// The most the chosen sites may cost together (finite, ≥ 0).
        budget: f64,
        /// Coverage radius in metres (inclusive).
        radius: f64,
    },
}

impl Problem {
    /// The short name used in outputs: `mclp`, `lscp`, `pmedian`, `capacitated`, `budget`.
    pub fn name(&self) -> &'static str {
        match self {
            Problem::Mclp { .. } => "mclp",
            Problem::Lscp { .. } => "lscp",
            Problem::PMedian { .. } => "pmedian",
            Problem::Capacitated { .. } => "capacitated",
            Problem::BudgetCoverage { .. } => "budget",
        }
    }

    /// The number of sites asked for (`None` for set cover and budgeted coverage).
    pub fn p(&self) -> Option<usize> {
        match *self {
            Problem::Mclp { p, .. }
            | Problem::PMedian { p, .. }
            | Problem::Capacitated { p, .. } => Some(p),
            Problem::Lscp { .. } | Problem::BudgetCoverage { .. } => None,
        }
    }

    /// The budget (`None` unless budgeted coverage).
    pub fn budget(&self) -> Option<f64> {
        match *self {
            Problem::BudgetCoverage { budget, .. } => Some(budget),
            _ => None,
        }
    }

    /// The coverage radius.
    pub fn radius(&self) -> f64 {
        match *self {
            Problem::Mclp { radius, .. }
            | Problem::Lscp { radius }
            | Problem::PMedian { radius, .. }
            | Problem::Capacitated { radius, .. }
            | Problem::BudgetCoverage { radius, .. } => radius,
        }
    }

    /// Whether the objective is maximised (coverage) or minimised (sites, distance).
    pub fn maximise(&self) -> bool {
        matches!(
            self,
            Problem::Mclp { .. } | Problem::Capacitated { .. } | Problem::BudgetCoverage { .. }
        )
    }

    /// The farthest distance the problem looks at: pairs beyond it can be left out.
    pub fn reach(&self) -> f64 {
        match *self {
            Problem::PMedian {
                penalty, radius, ..
            } => penalty.max(radius),
            other => other.radius(),
        }
    }

    pub(crate) fn check(&self) -> Result<(), SitingError> {
        let r = self.radius();
        if !(r.is_finite() && r >= 0.0) {
            return Err(SitingError::BadParameter(format!(
                "半径须为不小于 0 的有限米数 the radius must be a finite number of metres ≥ 0, got {r}"
            )));
        }
        if let Problem::BudgetCoverage { budget, .. } = *self {
            if !(budget.is_finite() && budget >= 0.0) {
                return Err(SitingError::BadParameter(format!(
                    "预算须为不小于 0 的有限数 the budget must be a finite number ≥ 0, got {budget}"
                )));
            }
        }
        if let Problem::PMedian { penalty, .. } = *self {
            if !(penalty.is_finite() && penalty > 0.0) {
                return Err(SitingError::BadParameter(format!(
                    "p-中位问题的惩罚距离须为大于 0 的有限数 the p-median penalty distance must be finite and > 0, got {penalty}"
                )));
            }
        }
        Ok(())
    }
}

/// Whether this build carries the exact MILP solver (HiGHS, feature `milp`); without it, an
/// open gap is closed only on instances small enough to enumerate.
pub const HAS_MILP: bool = cfg!(feature = "milp");

//! livingcircle's pipeline as a library (issue 15): load the network (through its cache), place
//! the points, compute access, assess against the standards and targets. Typed inputs, typed
//! results, progress through an [`Observer`] (the command line's bars, the server's job status,
//! a Python progress bar), cancellation, no printing.
//!
//! ```no_run
//! use lc_pipeline::{network, NetworkSource, LoadOptions, Silent};
//! let loaded = network::load(
//!     &NetworkSource::Osm("city.osm.pbf".into()),
//!     &LoadOptions::default(),
//!     &Silent,
//! )?;
//! println!("{} nodes", loaded.graph.node_count());
//! # Ok::<(), lc_pipeline::PipelineError>(())
//! ```
//!
//! The command line (`livingcircle access`, `assess`, `site`) is argument parsing and output
//! writing over these calls.

pub mod access;
pub mod assess;
mod error;
pub mod network;
pub mod observer;
pub mod partition;
pub mod place;
pub mod recommend;
pub mod site;

pub use access::{run_access, AccessOptions, AccessRun};
pub use assess::{run_assess, AssessInputs, AssessOptions, AssessRun};
pub use error::PipelineError;
pub use lc_model::{Detail, FacilityIds, FacilityList};
pub use network::{LoadOptions, Loaded, NetworkSource};
pub use observer::{CancelFlag, Observer, Silent, Step};
pub use place::Placed;
pub use recommend::{
    recommend, RecommendInputs, RecommendOptions, Recommendation, RecommendedSite,
};
pub use site::{
    auto_demand, build_scenario, instance_from_costs, run_site, solve_scenario, standard_radius,
    OrderedSite, Scenario, ScenarioOptions, SiteInputs, SiteOptions, SiteRun,
};

/// Seconds per step, keyed by [`Step::key`].
pub type Timings = std::collections::BTreeMap<&'static str, f64>;

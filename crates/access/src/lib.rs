//! Walking access on a built network: what every community can reach and how far it is.
//!
//! - [`compute_access`]: for each community, the k nearest facilities of every category within a
//!   maximum network distance, the count within each circle (300/500/1000 m...) and the pairs
//!   within a catchment for capacity ratios. One bounded Dijkstra per community, in parallel.
//! - [`two_step_fca`]: capacity against population (2SFCA) from those pairs.
//! - [`isochrone`]: the area reachable within a distance from a point, as polygons.
//! - [`Search`]: the bounded Dijkstra itself, reusable.
//! - [`reach::distances_within`]: walking distances from one point to many within a radius (an
//!   outlet's home-service area), placing the points with a [`lc_network::Snapper`].
//!
//! **Architecture invariant:** no I/O, no knowledge of files or formats; inputs are a
//! [`lc_network::Graph`], [`lc_network::Anchor`]s and plain numbers; outputs are plain data.
//! Distances are metres along the network; "within r" always means `≤ r`.

mod capacity;
pub mod isochrone;
mod nearest;
mod radix;
pub mod reach;
mod search;

pub use capacity::{two_step_fca, TwoStep};
pub use nearest::{
    compute_access, compute_access_until, AccessConfig, CommunityAccess, Found, Targets,
};
pub use search::Search;

/// Walking speeds used to turn minutes into metres and back.
pub mod speed {
    /// The planning convention: 60 m/min (3.6 km/h).
    pub const WALK_M_PER_MIN: f64 = 60.0;
    /// A slower pace for elderly residents: 45 m/min (0.75 m/s). An assumption of this project,
    /// configurable on the command line; not taken from a standard.
    pub const ELDERLY_M_PER_MIN: f64 = 45.0;
}

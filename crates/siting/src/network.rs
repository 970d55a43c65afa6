//! Building an [`Instance`] from a walking network: one bounded search per community with
//! `lc-access`, collecting every candidate and existing facility within reach.

use crate::instance::{Instance, InstanceData};
use crate::SitingError;
use lc_access::{compute_access, AccessConfig, Targets};
use lc_network::{Anchor, Graph};

/// Points placed on a network (`None`: not placed, reaches nothing) and their data.
pub struct NetworkInput<'a> {
    /// The walking network.
    pub graph: &'a Graph,
    /// Where each community sits.
    pub communities: &'a [Option<Anchor>],
    /// Demand per community.
    pub weights: Vec<f64>,
    /// Where each candidate site sits.
    pub candidates: &'a [Option<Anchor>],
    /// Capacity per candidate ([`crate::UNLIMITED`] when not known).
    pub candidate_capacity: Vec<f64>,
    /// Where each existing facility sits.
    pub existing: &'a [Option<Anchor>],
    /// Capacity per existing facility.
    pub existing_capacity: Vec<f64>,
    /// Pairs farther than this (metres of walking) are unreachable; use
    /// [`crate::Problem::reach`].
    pub max_distance: f64,
}

/// Computes the community–candidate and community–facility distances within
/// `input.max_distance` and builds the instance. `progress` gets the number of communities
/// done, now and then.
pub fn instance_on_network(
    input: NetworkInput<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Instance, SitingError> {
    let nc = input.candidates.len();
    let ne = input.existing.len();
    if input.candidate_capacity.len() != nc || input.existing_capacity.len() != ne {
        return Err(SitingError::Shape(
            "每个候选和每个现有设施都须有一个容量 one capacity per candidate and per existing facility is needed".into(),
        ));
    }
    if input.weights.len() != input.communities.len() {
        return Err(SitingError::Shape(
            "每个社区须有一个权重 one weight per community is needed".into(),
        ));
    }
    if !(input.max_distance.is_finite() && input.max_distance >= 0.0) {
        return Err(SitingError::BadParameter(format!(
            "搜索距离须为不小于 0 的有限数 the search distance must be finite and ≥ 0, got {}",
            input.max_distance
        )));
    }
    let mut anchors: Vec<Option<Anchor>> = input.candidates.to_vec();
    anchors.extend_from_slice(input.existing);
    let category: Vec<u16> = (0..nc + ne).map(|f| u16::from(f >= nc)).collect();
    let tie: Vec<u32> = (0..(nc + ne) as u32).collect();
    let targets = Targets::new(input.graph, &anchors, &category, &tie, 2);
    let cfg = AccessConfig {
        k: 1,
        max_distance: 0.0,
        circles: Vec::new(),
        catchment: Some(input.max_distance),
        pair_categories: vec![true, true],
    };
    let results = compute_access(input.graph, &targets, input.communities, &cfg, progress);
    let mut candidate_pairs = Vec::with_capacity(results.len());
    let mut existing_pairs = Vec::with_capacity(results.len());
    for r in results {
        let mut c = Vec::new();
        let mut e = Vec::new();
        for (f, d) in r.pairs {
            if (f as usize) < nc {
                c.push((f, d));
            } else {
                e.push((f - nc as u32, d));
            }
        }
        candidate_pairs.push(c);
        existing_pairs.push(e);
    }
    Instance::new(InstanceData {
        weight: input.weights,
        candidate_capacity: input.candidate_capacity,
        candidate_pairs,
        existing_capacity: input.existing_capacity,
        existing_pairs,
        candidate_cost: Vec::new(),
    })
}

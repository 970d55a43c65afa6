//! The access step as a library call: communities and facilities placed on a loaded network,
//! the k nearest facilities of each category, counts within the circles, and (when asked) the
//! community–facility pairs for the two-step floating catchment ratios.

use crate::observer::{Step, Stepper};
use crate::place::{id_ranks, place, place_items, require_points, Placed};
use crate::{Observer, PipelineError, Timings};
use lc_access::{
    compute_access_until, two_step_fca, AccessConfig, CommunityAccess, Targets, TwoStep,
};
use lc_model::{Category, Community};
use lc_model::{FacilityIds, FacilityList};
use lc_network::{Graph, SnapMode, Snapper};
use std::path::PathBuf;

/// What to compute.
#[derive(Debug, Clone)]
pub struct AccessOptions {
    /// Nearest facilities per category (at least 1).
    pub k: usize,
    /// Search distance, metres.
    pub max_distance: f64,
    /// Circle radii, metres, for the counts.
    pub circles: Vec<f64>,
    /// The catchment of the two-step floating catchment ratios, metres (`None`: not computed).
    pub capacity_catchment: Option<f64>,
    /// The categories to report (`None`: those present among the facilities).
    pub categories: Option<Vec<Category>>,
    /// Where points are placed: the nearest edge or the nearest node.
    pub snap: SnapMode,
    /// Points farther than this from the network are not placed, metres.
    pub snap_limit: f64,
    /// The communities' file, for the "nothing to compute" message.
    pub communities_file: PathBuf,
}

/// An access run's results.
#[derive(Debug)]
pub struct AccessRun {
    /// The categories reported, in vocabulary order; `Found::category` indexes this list.
    pub selected: Vec<Category>,
    /// The facilities of those categories, as columns (`Found::facility` indexes this list).
    pub facilities: FacilityList,
    /// Each facility's index in `selected`.
    pub facility_category: Vec<u16>,
    /// Per selected category: whether capacity ratios are computed for it (a capacity unit,
    /// and at least one facility with a capacity).
    pub capacity_categories: Vec<bool>,
    /// The communities' places on the network.
    pub communities_placed: Placed,
    /// Which facilities could not be placed, and the median snap distance (`anchors` is
    /// empty: the places are let go once the searches' index is built).
    pub facilities_placed: Placed,
    /// One result per community, in input order.
    pub results: Vec<CommunityAccess>,
    /// Seconds per step.
    pub timings: Timings,
}

impl AccessRun {
    /// The two-step floating catchment ratios (supply per demand) of the capacity categories,
    /// one slot per community × selected category.
    pub fn capacity_ratios(&self, communities: &[Community]) -> TwoStep {
        let pairs: Vec<Vec<(u32, f64)>> = self.results.iter().map(|r| r.pairs.clone()).collect();
        let capacity: Vec<f64> = (0..self.facilities.len())
            .map(|i| self.facilities.capacity(i).unwrap_or(f64::NAN))
            .collect();
        two_step_fca(
            &pairs,
            &self.facility_category,
            &capacity,
            self.selected.len(),
            |i, c| {
                communities[i]
                    .demand(self.selected[c as usize].info().demand)
                    .0
            },
        )
    }
}

/// The searches' index of the placed facilities (`category`: each facility's category index,
/// below `n_categories`; ties broken by facility id).
pub(crate) fn targets(
    graph: &Graph,
    facilities: &(impl FacilityIds + ?Sized),
    facilities_placed: &Placed,
    category: &[u16],
    n_categories: usize,
) -> Targets {
    let tie = id_ranks(facilities);
    Targets::new(
        graph,
        &facilities_placed.anchors,
        category,
        &tie,
        n_categories,
    )
}

/// The access searches from every placed community to the indexed facilities, reporting
/// progress and stopping when the observer cancels. Shared by access and assess.
pub(crate) fn search(
    graph: &Graph,
    targets: &Targets,
    communities_placed: &Placed,
    cfg: &AccessConfig,
    obs: &dyn Observer,
) -> Result<Vec<CommunityAccess>, PipelineError> {
    compute_access_until(
        graph,
        targets,
        &communities_placed.anchors,
        cfg,
        &|n| obs.advance(Step::Access, n as u64),
        &|| obs.cancelled(),
    )
    .ok_or(PipelineError::Cancelled)
}

/// The categories a run reports: the chosen ones, or those present among the facilities
/// (`present`: their categories), in vocabulary order.
pub(crate) fn select_categories(
    chosen: Option<&[Category]>,
    present: impl IntoIterator<Item = Category>,
) -> Vec<Category> {
    match chosen {
        Some(cats) => {
            let mut v = cats.to_vec();
            v.sort();
            v.dedup();
            v
        }
        None => {
            let mut seen = vec![false; Category::count()];
            for c in present {
                seen[c.index()] = true;
            }
            Category::all().filter(|c| seen[c.index()]).collect()
        }
    }
}

/// Places the points and computes access for every community. The facilities are records
/// (`Vec<Facility>`) or, for millions of them, already a [`FacilityList`]: the run keeps them as
/// columns either way.
pub fn run_access(
    graph: &Graph,
    communities: &[Community],
    facilities: impl Into<FacilityList>,
    opts: &AccessOptions,
    obs: &dyn Observer,
) -> Result<AccessRun, PipelineError> {
    let mut facilities: FacilityList = facilities.into();
    if opts.k == 0 {
        return Err(PipelineError::BadOption(
            "k 须至少为 1 --k must be at least 1".into(),
        ));
    }
    let mut timings = Timings::new();
    let mut steps = Stepper {
        obs,
        timings: &mut timings,
    };
    let selected = select_categories(
        opts.categories.as_deref(),
        facilities.categories().iter().copied(),
    );
    let mut dense = vec![u16::MAX; Category::count()];
    for (i, c) in selected.iter().enumerate() {
        dense[c.index()] = i as u16;
    }
    facilities.retain_categories(|c| dense[c.index()] != u16::MAX);

    let (communities_placed, facilities_placed) = steps.run(Step::Place, None, |_| {
        let snapper = Snapper::new(graph, opts.snap);
        let c = place_items(&snapper, communities, |c| c.pos, opts.snap_limit);
        let f = place(&snapper, facilities.positions(), opts.snap_limit);
        Ok((c, f))
    })?;
    require_points(
        &opts.communities_file,
        ("社区", "community"),
        communities.len(),
        communities_placed.too_far.len(),
        opts.snap_limit,
        "compute",
    )?;

    let facility_category: Vec<u16> = facilities
        .categories()
        .iter()
        .map(|c| dense[c.index()])
        .collect();
    let mut with_capacity = vec![false; selected.len()];
    for (i, &c) in facility_category.iter().enumerate() {
        if facilities.capacity(i).is_some() {
            with_capacity[c as usize] = true;
        }
    }
    let capacity_categories: Vec<bool> = selected
        .iter()
        .zip(&with_capacity)
        .map(|(c, &any)| c.info().capacity_unit.is_some() && any)
        .collect();
    let want_capacity = opts.capacity_catchment.is_some() && capacity_categories.iter().any(|&b| b);
    let cfg = AccessConfig {
        k: opts.k,
        max_distance: opts.max_distance,
        circles: opts.circles.clone(),
        catchment: opts.capacity_catchment.filter(|_| want_capacity),
        pair_categories: capacity_categories.clone(),
    };
    let mut facilities_placed = facilities_placed;
    let results = steps.run(Step::Access, Some(communities.len() as u64), |obs| {
        let targets = targets(
            graph,
            &facilities,
            &facilities_placed,
            &facility_category,
            selected.len(),
        );
        // The searches need only their index: the facilities' places (56 bytes each, 320 MB
        // of a province's 5.7M facilities, at the run's peak) are let go before they run.
        facilities_placed.anchors = Vec::new();
        search(graph, &targets, &communities_placed, &cfg, obs)
    })?;
    Ok(AccessRun {
        selected,
        facilities,
        facility_category,
        capacity_categories,
        communities_placed,
        facilities_placed,
        results,
        timings,
    })
}

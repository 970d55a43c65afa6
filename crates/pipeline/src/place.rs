//! Placing communities, facilities and candidates on the network, with the points too far from
//! it reported; and the refusal of a run with nothing to work on.

use crate::PipelineError;
use lc_model::FacilityIds;
use lc_model::{Facility, LonLat};
use lc_network::{Anchor, Snapper};
use lc_osm::OsmFacility;
use std::path::Path;

/// The result of placing a list of points.
#[derive(Debug, Clone, Default)]
pub struct Placed {
    /// Where each point sits, or `None` when it is farther than the limit from the network.
    pub anchors: Vec<Option<Anchor>>,
    /// Indices of the points that were too far.
    pub too_far: Vec<usize>,
    /// Median snap distance of the placed points, metres.
    pub median_snap_m: f64,
}

impl Placed {
    /// How many points were placed.
    pub fn placed(&self) -> usize {
        self.anchors.len() - self.too_far.len()
    }
}

/// Places items (communities, facilities, candidates) by their position.
pub fn place_items<T>(
    snapper: &Snapper<'_>,
    items: &[T],
    pos: impl Fn(&T) -> LonLat,
    limit_m: f64,
) -> Placed {
    let points: Vec<LonLat> = items.iter().map(pos).collect();
    place(snapper, &points, limit_m)
}

/// Places points; those farther than `limit_m` from the network are left off.
pub fn place(snapper: &Snapper<'_>, points: &[LonLat], limit_m: f64) -> Placed {
    let anchors = snapper.snap_all_within(points, limit_m);
    let mut too_far = Vec::new();
    let mut snaps = Vec::with_capacity(anchors.len());
    for (i, a) in anchors.iter().enumerate() {
        match a {
            Some(a) => snaps.push(a.snap_m),
            None => too_far.push(i),
        }
    }
    snaps.sort_by(|a, b| a.total_cmp(b));
    let median_snap_m = snaps.get(snaps.len() / 2).copied().unwrap_or(0.0);
    Placed {
        anchors,
        too_far,
        median_snap_m,
    }
}

/// Facilities found in an OSM file's tags, as facility records (OSM carries no capacity or area).
pub fn from_osm(found: &[OsmFacility]) -> Vec<Facility> {
    found
        .iter()
        .map(|f| Facility {
            id: f.id.clone(),
            name: f.name.clone(),
            category: f.category,
            pos: f.pos,
            capacity: None,
            floor_area_m2: None,
            provider_code: None,
            division_code: None,
        })
        .collect()
}

/// Each facility's rank in id order: the tie-break between facilities at equal distance.
pub fn id_ranks(facilities: &(impl FacilityIds + ?Sized)) -> Vec<u32> {
    use rayon::slice::ParallelSliceMut;
    // On all threads (5.7M ids on a province took seconds on one); equal ids, which a reader
    // refuses but a library caller might pass, keep their input order.
    let n = facilities.facility_count();
    // Ids already in strictly increasing order (as read from most tables: a reader has
    // checked them for repeats the same way) rank as they stand: one pass, no sort.
    if (1..n).all(|i| facilities.facility_id(i - 1) < facilities.facility_id(i)) {
        return (0..n as u32).collect();
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by(|&x, &y| {
        facilities
            .facility_id(x as usize)
            .cmp(facilities.facility_id(y as usize))
            .then(x.cmp(&y))
    });
    let mut rank = vec![0u32; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    rank
}

/// Refuses a run with nothing to work on (issues 17 and 19): a points file with a header and no
/// rows, or (`off`: how many could not be placed) none of its points on the network. Never an
/// empty result, "0 shortcomings" or "proven optimal" about nothing. `what` is the Chinese and
/// the singular English noun, e.g. `("社区", "community")`; `task` one of `compute`, `assess`,
/// `site`.
pub fn require_points(
    file: &Path,
    (zh, en): (&str, &str),
    n: usize,
    off: usize,
    snap_limit: f64,
    task: &str,
) -> Result<(), PipelineError> {
    if n == 0 {
        return Err(PipelineError::NothingToCompute(format!(
            "{}: 没有{zh}（文件只有表头行），无从{} no {} (the file has a header and no rows): nothing to {task}",
            file.display(),
            task_zh(task),
            lc_model::plural(en)
        )));
    }
    if off == n {
        let none = match n {
            1 => format!("the one {en} could not be placed"),
            _ => format!("none of the {} could be placed", lc_model::count(n, en)),
        };
        return Err(PipelineError::NothingToCompute(format!(
            "{}: {n} 个{zh}都不能放到路网上（都离步行道路超过 {snap_limit} 米；请检查坐标顺序（经度,纬度）和 --crs），无从{} \
             {none} on the network (all farther than {snap_limit} m from a walkable way; check the coordinates' order (lon,lat) and --crs): nothing to {task}",
            file.display(),
            task_zh(task),
        )));
    }
    Ok(())
}

/// The Chinese of a task named in [`require_points`].
fn task_zh(task: &str) -> &str {
    match task {
        "compute" => "计算",
        "assess" => "评估",
        "site" => "选址",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FacilityList;
    use lc_model::Category;

    fn list(ids: &[&str]) -> FacilityList {
        let mut l = FacilityList::default();
        for id in ids {
            l.push(&Facility {
                id: id.to_string(),
                name: String::new(),
                category: Category::from_key("pharmacy").unwrap(),
                pos: LonLat::new(104.0, 30.6),
                capacity: None,
                floor_area_m2: None,
                provider_code: None,
                division_code: None,
            });
        }
        l
    }

    #[test]
    fn ranks_follow_id_order_sorted_or_not() {
        assert_eq!(id_ranks(&list(&["A1", "A2", "B", "b"])), [0, 1, 2, 3]);
        assert_eq!(id_ranks(&list(&["b", "A2", "B", "A1"])), [3, 1, 2, 0]);
        // Equal ids (a library caller's; readers refuse them) keep their input order, and a
        // run of sorted ids with one repeat is not taken as sorted.
        assert_eq!(id_ranks(&list(&["x", "a", "x", "a"])), [2, 0, 3, 1]);
        assert_eq!(id_ranks(&list(&["a", "b", "b", "c"])), [0, 1, 2, 3]);
        assert_eq!(id_ranks(&list(&["c", "b", "b", "a"])), [3, 1, 2, 0]);
        assert!(id_ranks(&list(&[])).is_empty());
    }
}

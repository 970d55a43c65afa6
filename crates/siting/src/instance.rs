//! A siting instance: communities with demand weights, candidate sites and existing facilities,
//! and the walking distances between them as sparse lists (a missing pair is unreachable).

use crate::util::Csr;
use crate::SitingError;

/// Capacity meaning "no limit" (a site or facility whose capacity is not known).
pub const UNLIMITED: f64 = f64::INFINITY;

/// Everything an optimisation needs, in dense indices.
///
/// - Community `i` has demand `weight[i]` (population or a demand group) and reaches candidate
///   `j` at `d(i, j)` metres when the pair is listed; an unlisted pair is **unreachable** (never
///   a NaN or a sentinel distance).
/// - Existing facilities (already open) are listed the same way, with their capacities.
///
/// Lists are sorted by index and hold no duplicates; distances are finite and non-negative.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    weight: Vec<f64>,
    n_candidates: usize,
    /// Community → (candidate, metres).
    cand: Csr<f64>,
    capacity: Vec<f64>,
    n_existing: usize,
    /// Community → (existing facility, metres).
    ex: Csr<f64>,
    ex_capacity: Vec<f64>,
    nearest_existing: Vec<f64>,
    /// Cost per candidate (`None`: not known).
    cost: Vec<Option<f64>>,
}

/// The inputs of [`Instance::new`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceData {
    /// Demand per community (finite, ≥ 0).
    pub weight: Vec<f64>,
    /// Capacity per candidate site ([`UNLIMITED`] when not known); its length is the number of
    /// candidates.
    pub candidate_capacity: Vec<f64>,
    /// Per community: `(candidate, metres)` for every candidate it reaches.
    pub candidate_pairs: Vec<Vec<(u32, f64)>>,
    /// Capacity per existing facility ([`UNLIMITED`] when not known); its length is the number
    /// of existing facilities.
    pub existing_capacity: Vec<f64>,
    /// Per community: `(existing facility, metres)` for every existing facility it reaches.
    pub existing_pairs: Vec<Vec<(u32, f64)>>,
    /// Cost per candidate site (`None` when not known; finite, ≥ 0), or empty when no cost is
    /// known. Only [`crate::Problem::BudgetCoverage`] needs costs.
    pub candidate_cost: Vec<Option<f64>>,
}

fn check_capacity(what: &'static str, v: &[f64]) -> Result<(), SitingError> {
    for (i, &c) in v.iter().enumerate() {
        if c.is_nan() || c < 0.0 {
            return Err(SitingError::BadCapacity {
                what,
                index: i,
                value: c,
            });
        }
    }
    Ok(())
}

fn check_costs(costs: &[Option<f64>]) -> Result<(), SitingError> {
    for (j, c) in costs.iter().enumerate() {
        if let Some(c) = *c {
            if !(c.is_finite() && c >= 0.0) {
                return Err(SitingError::BadCost {
                    candidate: j,
                    value: c,
                });
            }
        }
    }
    Ok(())
}

/// Checks, sorts and stores the pairs of every community.
fn csr(
    what: &'static str,
    rows: Vec<Vec<(u32, f64)>>,
    n_cols: usize,
) -> Result<Csr<f64>, SitingError> {
    let mut start = Vec::with_capacity(rows.len() + 1);
    start.push(0);
    let total: usize = rows.iter().map(|r| r.len()).sum();
    let mut col = Vec::with_capacity(total);
    let mut dist = Vec::with_capacity(total);
    for (i, mut r) in rows.into_iter().enumerate() {
        r.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut last = u32::MAX;
        for (j, d) in r {
            if j as usize >= n_cols {
                return Err(SitingError::BadPair {
                    what,
                    community: i,
                    index: j as usize,
                    why: format!(
                        "序号超出范围（共 {n_cols} 个）index out of range (there are {n_cols})"
                    ),
                });
            }
            if !(d.is_finite() && d >= 0.0) {
                return Err(SitingError::BadPair {
                    what,
                    community: i,
                    index: j as usize,
                    why: format!(
                        "距离 {d} 不是不小于 0 的有限数 distance {d} is not a finite number ≥ 0"
                    ),
                });
            }
            // A pair listed twice keeps its shorter distance.
            if j == last {
                continue;
            }
            last = j;
            col.push(j);
            dist.push(d);
        }
        start.push(col.len());
    }
    Ok(Csr {
        start,
        col,
        val: dist,
    })
}

impl Instance {
    /// Checks and indexes the data.
    pub fn new(data: InstanceData) -> Result<Instance, SitingError> {
        let n = data.weight.len();
        for (i, &w) in data.weight.iter().enumerate() {
            if !(w.is_finite() && w >= 0.0) {
                return Err(SitingError::BadWeight {
                    community: i,
                    value: w,
                });
            }
        }
        if data.candidate_pairs.len() != n || data.existing_pairs.len() != n {
            return Err(SitingError::Shape(format!(
                "{n} 个权重，但候选列表 {0} 个、现有设施列表 {1} 个 {n} weights but {0} candidate lists and {1} existing-facility lists",
                data.candidate_pairs.len(),
                data.existing_pairs.len()
            )));
        }
        check_capacity("candidate", &data.candidate_capacity)?;
        check_capacity("existing facility", &data.existing_capacity)?;
        let n_candidates = data.candidate_capacity.len();
        let n_existing = data.existing_capacity.len();
        if !data.candidate_cost.is_empty() && data.candidate_cost.len() != n_candidates {
            return Err(SitingError::Shape(format!(
                "{n_candidates} 个候选容量，但费用 {0} 个 {n_candidates} candidate capacities but {0} costs",
                data.candidate_cost.len()
            )));
        }
        check_costs(&data.candidate_cost)?;
        let cost = if data.candidate_cost.is_empty() {
            vec![None; n_candidates]
        } else {
            data.candidate_cost
        };
        let cand = csr("candidate", data.candidate_pairs, n_candidates)?;
        let ex = csr("existing facility", data.existing_pairs, n_existing)?;
        let nearest_existing = (0..n)
            .map(|i| ex.row(i).1.iter().fold(f64::INFINITY, |a, &b| a.min(b)))
            .collect();
        Ok(Instance {
            weight: data.weight,
            n_candidates,
            cand,
            capacity: data.candidate_capacity,
            n_existing,
            ex,
            ex_capacity: data.existing_capacity,
            nearest_existing,
            cost,
        })
    }

    /// The same instance with these candidate costs (one per candidate, `None` when not known):
    /// for instances built by [`crate::instance_on_network`].
    pub fn with_candidate_costs(mut self, cost: Vec<Option<f64>>) -> Result<Instance, SitingError> {
        if cost.len() != self.n_candidates {
            return Err(SitingError::Shape(format!(
                "{0} 个候选，但费用 {1} 个 {0} candidates but {1} costs",
                self.n_candidates,
                cost.len()
            )));
        }
        check_costs(&cost)?;
        self.cost = cost;
        Ok(self)
    }

    /// Number of communities.
    pub fn n_communities(&self) -> usize {
        self.weight.len()
    }

    /// Number of candidate sites.
    pub fn n_candidates(&self) -> usize {
        self.n_candidates
    }

    /// Number of existing facilities.
    pub fn n_existing(&self) -> usize {
        self.n_existing
    }

    /// Demand of community `i`.
    pub fn weight(&self, i: usize) -> f64 {
        self.weight[i]
    }

    /// All demands.
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// Total demand.
    pub fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// Candidates community `i` reaches, with distances, sorted by candidate.
    pub fn candidates_of(&self, i: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.cand.pairs(i)
    }

    /// Existing facilities community `i` reaches, with distances, sorted by facility.
    pub fn existing_of(&self, i: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.ex.pairs(i)
    }

    /// Distance from community `i` to its nearest existing facility (∞ when none is reached).
    pub fn nearest_existing(&self, i: usize) -> f64 {
        self.nearest_existing[i]
    }

    /// Capacity of candidate `j` ([`UNLIMITED`] when not known).
    pub fn capacity(&self, j: usize) -> f64 {
        self.capacity[j]
    }

    /// Cost of candidate `j` (`None` when not known).
    pub fn cost(&self, j: usize) -> Option<f64> {
        self.cost[j]
    }

    /// Every candidate's cost, or the error naming the first candidate without one.
    pub(crate) fn costs(&self) -> Result<Vec<f64>, SitingError> {
        self.cost
            .iter()
            .enumerate()
            .map(|(j, c)| c.ok_or(SitingError::MissingCost { candidate: j }))
            .collect()
    }

    /// Capacity of existing facility `k`.
    pub fn existing_capacity(&self, k: usize) -> f64 {
        self.ex_capacity[k]
    }

    /// Number of community–candidate pairs listed.
    pub fn pair_count(&self) -> usize {
        self.cand.nnz()
    }

    /// Whether every demand is a whole number (then coverage objectives are whole numbers and
    /// a gap below one unit proves optimality).
    pub fn integral_weights(&self) -> bool {
        self.weight.iter().all(|w| w.fract() == 0.0 && *w < 1e15)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_data_and_keeps_the_shorter_duplicate() {
        let ok = InstanceData {
            weight: vec![1.0, 2.0],
            candidate_capacity: vec![UNLIMITED; 2],
            candidate_pairs: vec![vec![(1, 5.0), (0, 3.0), (1, 4.0)], vec![]],
            existing_capacity: vec![],
            existing_pairs: vec![vec![], vec![]],
            candidate_cost: vec![],
        };
        let inst = Instance::new(ok.clone()).unwrap();
        assert_eq!(
            inst.candidates_of(0).collect::<Vec<_>>(),
            vec![(0, 3.0), (1, 4.0)]
        );
        assert_eq!(inst.nearest_existing(1), f64::INFINITY);

        let mut bad = ok.clone();
        bad.weight[1] = f64::NAN;
        assert!(matches!(
            Instance::new(bad),
            Err(SitingError::BadWeight { community: 1, .. })
        ));
        let mut bad = ok.clone();
        bad.candidate_pairs[1].push((0, f64::NAN));
        assert!(matches!(
            Instance::new(bad),
            Err(SitingError::BadPair { community: 1, .. })
        ));
        let mut bad = ok.clone();
        bad.candidate_pairs[0].push((7, 1.0));
        assert!(Instance::new(bad).is_err());
        let mut bad = ok.clone();
        bad.candidate_capacity[0] = -1.0;
        assert!(matches!(
            Instance::new(bad),
            Err(SitingError::BadCapacity { index: 0, .. })
        ));
        let mut bad = ok.clone();
        bad.candidate_cost = vec![Some(1.0)];
        assert!(matches!(Instance::new(bad), Err(SitingError::Shape(_))));
        let mut bad = ok.clone();
        bad.candidate_cost = vec![Some(1.0), Some(f64::NAN)];
        assert!(matches!(
            Instance::new(bad),
            Err(SitingError::BadCost { candidate: 1, .. })
        ));
        assert_eq!(inst.cost(1), None);
        assert_eq!(inst.costs(), Err(SitingError::MissingCost { candidate: 0 }));
        let inst = inst
            .with_candidate_costs(vec![Some(2.0), Some(0.0)])
            .unwrap();
        assert_eq!(inst.costs(), Ok(vec![2.0, 0.0]));
        assert!(Instance::new(ok)
            .unwrap()
            .with_candidate_costs(vec![Some(-1.0), None])
            .is_err());
    }
}

//! Budgeted maximal coverage: every candidate has a cost, the chosen sites together cost at
//! most the budget, and the objective is the demand within the radius (existing facilities
//! included), as for maximal coverage.
//!
//! Reduction: that of maximal coverage ([`crate::coverage`]), except that candidates costing
//! more than the budget are left out and a candidate is dominated only by one that covers
//! everything it covers *and costs no more*.
//!
//! Heuristic: the cost-effectiveness lazy greedy (newly covered demand per unit of cost; free
//! sites first) compared with the best single affordable site followed by the same greedy:
//! the better of the two is within `(1 − 1/e)/2` of the optimum (Khuller, Moss and Naor,
//! 1999), while the greedy alone can be arbitrarily bad (a cheap site that covers little
//! crowds out the one that covers everything). Then local search: sites that cover nothing
//! alone are closed, the greedy spends what is left, and the best swap that keeps the budget
//! is made, until no swap gains.
//!
//! Bound: Lagrangian, as for maximal coverage with the choice of the p best sites replaced by
//! a fractional knapsack: for any `0 ≤ u_e ≤ w_e`, `Σ_e (w_e − u_e) + K(U)`, with `K` the
//! fractional knapsack of values `U_j = Σ_{e∋j} u_e` and costs `c_j` within the budget,
//! bounds the coverage from above; at the LP duals (the LP with the knapsack row in place of
//! the cardinality row) it equals the LP bound.

use crate::coverage::{Cover, CoverState, Sites};
use crate::instance::Instance;
use crate::util::{fractional_knapsack, lazy_greedy, Key};
use std::collections::BinaryHeap;

/// The budget with an allowance for rounding in sums of costs: a total up to this is within
/// the budget.
pub(crate) fn budget_limit(budget: f64) -> f64 {
    budget * (1.0 + 1e-12)
}

/// A reduced budgeted coverage instance.
#[derive(Debug, Clone)]
pub(crate) struct Budgeted {
    /// The coverage data (candidates over the budget left out).
    pub cover: Cover,
    /// Cost per local candidate.
    pub cost: Vec<f64>,
    /// The budget with its rounding allowance ([`budget_limit`]).
    pub limit: f64,
}

/// A state being filled, with the budget left.
struct Filling<'a> {
    st: &'a mut CoverState,
    left: f64,
}

impl Budgeted {
    /// Reduces an instance; `cost` has one entry per candidate of the instance.
    pub fn build(inst: &Instance, radius: f64, cost: &[f64], budget: f64) -> Budgeted {
        let limit = budget_limit(budget);
        let (cover, cost) = Cover::build_budgeted(inst, radius, cost, limit);
        debug_assert!(
            cost.iter().all(|&c| c <= limit),
            "an unaffordable site kept"
        );
        Budgeted { cover, cost, limit }
    }

    /// Total cost of a set of local candidates.
    pub fn total_cost(&self, chosen: &[usize]) -> f64 {
        chosen.iter().map(|&j| self.cost[j]).sum()
    }

    /// Whether a set of local candidates is within the budget.
    pub fn feasible(&self, chosen: &[usize]) -> bool {
        self.total_cost(chosen) <= self.limit
    }

    /// Cost-effectiveness greedy and the best single site, then local search. Returns local
    /// candidates.
    pub fn heuristic(&self) -> Vec<usize> {
        let c = &self.cover;
        let mut greedy = CoverState::new(c);
        self.fill(&mut greedy);
        // The best single affordable site (ties: the lower index), then the same greedy.
        let mut single = CoverState::new(c);
        let mut best: Option<(f64, usize)> = None;
        // Every local candidate is affordable: the reduction left out the others.
        for j in 0..c.n_cands() {
            let g = single.gain(c, j);
            if best.is_none_or(|(bg, _)| g > bg) {
                best = Some((g, j));
            }
        }
        if let Some((g, j)) = best {
            if g > 0.0 {
                single.add(c, j);
                self.fill(&mut single);
            }
        }
        let mut st = if c.covered(&single.chosen_list()) > c.covered(&greedy.chosen_list()) {
            single
        } else {
            greedy
        };
        self.improve(&mut st);
        st.chosen_list()
    }

    fn spent(&self, st: &CoverState) -> f64 {
        self.total_cost(&st.chosen_list())
    }

    /// Lazy greedy on newly covered demand per unit of cost (free sites first), opening sites
    /// while the budget lasts.
    fn fill(&self, st: &mut CoverState) {
        let c = &self.cover;
        let left = self.limit - self.spent(st);
        let mut f = Filling { st, left };
        let ratio = |f: &Filling, j: usize| {
            if self.cost[j] > f.left {
                return 0.0;
            }
            let g = f.st.gain(c, j);
            if g <= 0.0 {
                0.0
            } else if self.cost[j] > 0.0 {
                g / self.cost[j]
            } else {
                f64::INFINITY
            }
        };
        let heap: BinaryHeap<Key> = (0..c.n_cands())
            .filter(|&j| !f.st.open[j])
            .map(|j| Key(ratio(&f, j), j as u32))
            .collect();
        lazy_greedy(&mut f, heap, usize::MAX, ratio, |f, j| {
            f.st.add(c, j);
            f.left -= self.cost[j];
        });
    }

    /// Closes the open sites that cover nothing alone (the highest index first).
    fn prune(&self, st: &mut CoverState) {
        let c = &self.cover;
        for j in (0..c.n_cands()).rev() {
            if st.open[j] && st.redundant(c, j) {
                st.remove(c, j);
            }
        }
    }

    /// Local search: prune, fill, and make the best swap that keeps the budget, until no swap
    /// gains.
    fn improve(&self, st: &mut CoverState) {
        let c = &self.cover;
        for _pass in 0..10_000 {
            self.prune(st);
            self.fill(st);
            let slack = self.limit - self.spent(st);
            let fits = |out: usize, inn: usize| self.cost[inn] <= slack + self.cost[out];
            let Some((out, inn)) = c.best_swap(st, fits) else {
                break;
            };
            st.remove(c, out);
            st.add(c, inn);
        }
        self.prune(st);
    }

    /// The fractional knapsack within the budget, as the relaxed site constraint.
    fn knapsack(&self) -> impl Fn(&[f64]) -> Sites + '_ {
        move |values: &[f64]| fractional_knapsack(values, &self.cost, self.limit)
    }

    /// The Lagrangian bound for multipliers `u` (elements only, without `base`); valid for
    /// any `u` (clamped into `[0, w]`).
    pub fn bound(&self, u: &[f64]) -> f64 {
        self.cover.lagrangian(u, &self.knapsack()).0
    }

    /// Subgradient optimisation of [`Budgeted::bound`]; returns the best bound found.
    pub fn subgradient(&self, incumbent: f64, iters: usize) -> f64 {
        self.cover.subgradient(incumbent, iters, &self.knapsack())
    }
}

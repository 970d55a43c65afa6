//! The exact models, solved with HiGHS: each reduced problem as a mixed-integer program, and
//! its LP relaxation, whose row duals become the multipliers of the Lagrangian bounds.
//!
//! The bounds this crate reports are recomputed from those multipliers by the problems' own
//! bound functions (valid for any multipliers), so a solver tolerance can weaken a bound but
//! never make it wrong; the solver's own MIP dual bound is used only when it proves more.

use crate::capacitated::Capacitated;
use crate::coverage::Cover;
use crate::median::Median;
use highs::{Col, HighsModelStatus, Model, RowProblem, Sense};
use std::time::Duration;

/// What a MILP run gave.
#[derive(Debug, Clone)]
pub(crate) struct MilpOut {
    /// Local candidates chosen (empty when the solver found no solution).
    pub chosen: Vec<usize>,
    /// Whether the solver has a feasible solution.
    pub has_solution: bool,
    /// The solver's bound on the optimum (reduced objective).
    pub dual_bound: f64,
    /// Solved to optimality within the gap tolerance.
    pub optimal: bool,
    /// Solver status, for the summary.
    pub status: String,
}

/// How to run HiGHS.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    pub time_limit: Duration,
    /// Relative gap at which the search stops.
    pub rel_gap: f64,
    /// Absolute gap at which the search stops (below 1 is exact for whole-number objectives).
    pub abs_gap: f64,
}

fn prepare(pb: RowProblem, sense: Sense, run: Run, mip: bool) -> Model {
    let mut model = pb.optimise(sense);
    model.make_quiet();
    let secs = run.time_limit.as_secs_f64().max(0.01);
    model.set_option("time_limit", secs);
    if mip {
        model.set_option("mip_rel_gap", run.rel_gap);
        model.set_option("mip_abs_gap", run.abs_gap);
    }
    model
}

fn status_text(s: HighsModelStatus) -> String {
    format!("{s:?}")
}

/// Row duals of an LP, or `None` when it did not solve to optimality.
fn lp_duals(model: Model, rows: usize) -> Option<Vec<f64>> {
    let solved = model.try_solve().ok()?;
    if solved.status() != HighsModelStatus::Optimal {
        return None;
    }
    let sol = solved.get_solution();
    let d = sol.dual_rows();
    Some(d[..rows.min(d.len())].to_vec())
}

fn finish(model: Model, y: &[Col], sense_max: bool) -> MilpOut {
    let solved = match model.try_solve() {
        Ok(s) => s,
        Err(e) => {
            return MilpOut {
                chosen: Vec::new(),
                has_solution: false,
                dual_bound: if sense_max {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                },
                optimal: false,
                status: format!("error {e:?}"),
            }
        }
    };
    let status = solved.status();
    let has_solution = solved
        .double_info_value(c"mip_primal_bound")
        .map(|v| v.is_finite() && v.abs() < 1e300)
        .unwrap_or(false)
        || status == HighsModelStatus::Optimal;
    let dual_bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|v| v.is_finite() && v.abs() < 1e300)
        .unwrap_or(if sense_max {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        });
    let chosen = if has_solution {
        let sol = solved.get_solution();
        let cols = sol.columns();
        y.iter()
            .enumerate()
            .filter(|(_, c)| cols[c.index()] > 0.5)
            .map(|(j, _)| j)
            .collect()
    } else {
        Vec::new()
    };
    MilpOut {
        chosen,
        has_solution,
        dual_bound,
        optimal: status == HighsModelStatus::Optimal,
        status: status_text(status),
    }
}

/// One column `y_j ∈ [0, 1]` per local candidate at `cost` each (integer for the MILP).
fn site_columns(pb: &mut RowProblem, n: usize, cost: f64, mip: bool) -> Vec<Col> {
    (0..n)
        .map(|_| {
            if mip {
                pb.add_integer_column(cost, 0..=1)
            } else {
                pb.add_column(cost, 0..=1)
            }
        })
        .collect()
}

/// The row `Σ y_j ≤ p`.
fn at_most(pb: &mut RowProblem, y: &[Col], p: usize) {
    pb.add_row(..=p as f64, y.iter().map(|&v| (v, 1.0)).collect::<Vec<_>>());
}

/// What limits the sites of a coverage model.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit<'a> {
    /// At most this many sites.
    Sites(usize),
    /// Total cost (per local candidate) at most `budget`.
    Budget { cost: &'a [f64], budget: f64 },
}

impl Limit<'_> {
    /// Adds the row `Σ y_j ≤ p` or `Σ c_j y_j ≤ B`.
    fn add(self, pb: &mut RowProblem, y: &[Col]) {
        match self {
            Limit::Sites(p) => at_most(pb, y, p),
            Limit::Budget { cost, budget } => {
                let row: Vec<(Col, f64)> = y.iter().zip(cost).map(|(&v, &c)| (v, c)).collect();
                pb.add_row(..=budget, row);
            }
        }
    }
}

/// The absolute values of the first `rows` row duals of an LP (see [`lp_duals`]).
fn abs_duals(pb: RowProblem, sense: Sense, run: Run, rows: usize) -> Option<Vec<f64>> {
    let d = lp_duals(prepare(pb, sense, run, false), rows)?;
    Some(d.iter().map(|x| x.abs()).collect())
}

/// Solves a MILP from a start: `start` sets the site columns `y` to 1 in a vector of `n_cols`
/// zeros, `fill` sets the other columns.
fn solve_from(
    pb: RowProblem,
    maximise: bool,
    run: Run,
    y: &[Col],
    n_cols: usize,
    start: &[usize],
    fill: impl FnOnce(&mut [f64]),
) -> MilpOut {
    let sense = if maximise {
        Sense::Maximise
    } else {
        Sense::Minimise
    };
    let mut model = prepare(pb, sense, run, true);
    let mut x = vec![0.0; n_cols];
    for &j in start {
        x[y[j].index()] = 1.0;
    }
    fill(&mut x);
    let _ = model.try_set_solution(Some(&x), None, None, None);
    finish(model, y, maximise)
}

// ---- maximal coverage (p sites or a budget) ----

fn mclp_model(c: &Cover, limit: Limit, mip: bool) -> (RowProblem, Vec<Col>, Vec<Col>) {
    let mut pb = RowProblem::default();
    let y = site_columns(&mut pb, c.n_cands(), 0.0, mip);
    let z: Vec<Col> = c.w.iter().map(|&w| pb.add_column(w, 0..=1)).collect();
    for e in 0..c.n_elements() {
        let mut row: Vec<(Col, f64)> = vec![(z[e], 1.0)];
        row.extend(c.sets.cols_of(e).iter().map(|&j| (y[j as usize], -1.0)));
        pb.add_row(..=0.0, row);
    }
    limit.add(&mut pb, &y);
    (pb, y, z)
}

pub(crate) fn mclp_lp(c: &Cover, limit: Limit, run: Run) -> Option<Vec<f64>> {
    let (pb, _, _) = mclp_model(c, limit, false);
    abs_duals(pb, Sense::Maximise, run, c.n_elements())
}

pub(crate) fn mclp_milp(c: &Cover, limit: Limit, start: &[usize], run: Run) -> MilpOut {
    let (pb, y, z) = mclp_model(c, limit, true);
    let n_cols = y.len() + z.len();
    solve_from(pb, true, run, &y, n_cols, start, |x| {
        for &j in start {
            for &e in c.by_cand.cols_of(j) {
                x[z[e as usize].index()] = 1.0;
            }
        }
    })
}

// ---- set cover ----

fn lscp_model(c: &Cover, mip: bool) -> (RowProblem, Vec<Col>) {
    let mut pb = RowProblem::default();
    let y = site_columns(&mut pb, c.n_cands(), 1.0, mip);
    for e in 0..c.n_elements() {
        let row: Vec<(Col, f64)> = c
            .sets
            .cols_of(e)
            .iter()
            .map(|&j| (y[j as usize], 1.0))
            .collect();
        pb.add_row(1.0.., row);
    }
    (pb, y)
}

pub(crate) fn lscp_lp(c: &Cover, run: Run) -> Option<Vec<f64>> {
    let (pb, _) = lscp_model(c, false);
    abs_duals(pb, Sense::Minimise, run, c.n_elements())
}

pub(crate) fn lscp_milp(c: &Cover, start: &[usize], run: Run) -> MilpOut {
    let (pb, y) = lscp_model(c, true);
    solve_from(pb, false, run, &y, y.len(), start, |_| {})
}

// ---- p-median ----

struct MedianCols {
    y: Vec<Col>,
    /// Per pair (in `pairs` order).
    x: Vec<Col>,
    s: Vec<Col>,
}

fn median_model(m: &Median, p: usize, mip: bool) -> (RowProblem, MedianCols) {
    let mut pb = RowProblem::default();
    let y = site_columns(&mut pb, m.n_cands(), 0.0, mip);
    let mut x = Vec::with_capacity(m.pairs.nnz());
    for e in 0..m.n_elements() {
        let (_, ds) = m.pairs.row(e);
        for &d in ds {
            x.push(pb.add_column(m.w[e] * d, 0..=1));
        }
    }
    let s: Vec<Col> = (0..m.n_elements())
        .map(|e| pb.add_column(m.w[e] * m.f[e], 0..=1))
        .collect();
    // Assignment rows first (their duals are the multipliers).
    for e in 0..m.n_elements() {
        let mut row: Vec<(Col, f64)> = (m.pairs.start[e]..m.pairs.start[e + 1])
            .map(|k| (x[k], 1.0))
            .collect();
        row.push((s[e], 1.0));
        pb.add_row(1.0..=1.0, row);
    }
    for e in 0..m.n_elements() {
        for k in m.pairs.start[e]..m.pairs.start[e + 1] {
            let j = m.pairs.col[k] as usize;
            pb.add_row(..=0.0, [(x[k], 1.0), (y[j], -1.0)]);
        }
    }
    at_most(&mut pb, &y, p);
    (pb, MedianCols { y, x, s })
}

/// LP multipliers for the p-median bound (both signs are tried by the caller).
pub(crate) fn median_lp(m: &Median, p: usize, run: Run) -> Option<Vec<f64>> {
    let (pb, _) = median_model(m, p, false);
    lp_duals(prepare(pb, Sense::Minimise, run, false), m.n_elements())
}

pub(crate) fn median_milp(m: &Median, p: usize, start: &[usize], run: Run) -> MilpOut {
    let (pb, cols) = median_model(m, p, true);
    let n_cols = cols.y.len() + cols.x.len() + cols.s.len();
    let mut open = vec![false; m.n_cands()];
    for &j in start {
        open[j] = true;
    }
    solve_from(pb, false, run, &cols.y, n_cols, start, |v| {
        for e in 0..m.n_elements() {
            let mut best = (m.f[e], usize::MAX);
            for k in m.pairs.start[e]..m.pairs.start[e + 1] {
                if open[m.pairs.col[k] as usize] && m.pairs.val[k] < best.0 {
                    best = (m.pairs.val[k], k);
                }
            }
            if best.1 == usize::MAX {
                v[cols.s[e].index()] = 1.0;
            } else {
                v[cols.x[best.1].index()] = 1.0;
            }
        }
    })
}

// ---- capacitated coverage ----

fn cap_model(c: &Capacitated, p: usize, mip: bool) -> (RowProblem, Vec<Col>, Vec<Col>) {
    let ne = c.n_existing;
    let mut pb = RowProblem::default();
    let y = site_columns(&mut pb, c.n_cands(), 0.0, mip);
    let x: Vec<Col> = (0..c.sets.nnz())
        .map(|_| pb.add_column(1.0, 0.0..))
        .collect();
    for e in 0..c.n_elements() {
        let row: Vec<(Col, f64)> = (c.sets.start[e]..c.sets.start[e + 1])
            .map(|k| (x[k], 1.0))
            .collect();
        pb.add_row(..=c.w[e], row);
    }
    // Arcs into each facility, with their elements.
    for f in 0..c.cap.len() {
        let (es, arcs) = c.by_fac.row(f);
        let reach: f64 = es.iter().map(|&e| c.w[e as usize]).sum::<f64>();
        let cap = c.cap[f].min(reach);
        let mut row: Vec<(Col, f64)> = arcs.iter().map(|&k| (x[k as usize], 1.0)).collect();
        if f < ne {
            if c.cap[f].is_finite() {
                pb.add_row(..=cap, row);
            }
        } else {
            row.push((y[f - ne], -cap));
            pb.add_row(..=0.0, row);
        }
    }
    for e in 0..c.n_elements() {
        for k in c.sets.start[e]..c.sets.start[e + 1] {
            let f = c.sets.col[k] as usize;
            if f >= ne {
                pb.add_row(..=0.0, [(x[k], 1.0), (y[f - ne], -c.w[e])]);
            }
        }
    }
    at_most(&mut pb, &y, p);
    (pb, y, x)
}

/// LP multipliers of the demand rows, scaled into `[0, 1]`.
pub(crate) fn cap_lp(c: &Capacitated, p: usize, run: Run) -> Option<Vec<f64>> {
    let (pb, _, _) = cap_model(c, p, false);
    let d = abs_duals(pb, Sense::Maximise, run, c.n_elements())?;
    Some(d.iter().map(|x| x.min(1.0)).collect())
}

pub(crate) fn cap_milp(c: &Capacitated, p: usize, start: &[usize], run: Run) -> MilpOut {
    let (pb, y, x) = cap_model(c, p, true);
    let n_cols = y.len() + x.len();
    solve_from(pb, true, run, &y, n_cols, start, |v| {
        for (e, fl) in c.flows(start).iter().enumerate() {
            for &(f, amount) in fl {
                let k = (c.sets.start[e]..c.sets.start[e + 1])
                    .find(|&k| c.sets.col[k] == f)
                    .unwrap_or(c.sets.start[e]);
                v[x[k].index()] = amount;
            }
        }
    })
}

//! Exported cost data (`site --costs DIR`: `demand.csv`, `candidates.csv`, `existing.csv`,
//! `costs.csv`, in this order in the input, separated by lines `%%`), read by the command's
//! `lc_tables::read_cost_tables`. Errors name a file; what is accepted builds a siting instance
//! (as `site` does) and every problem solves on it without a panic, with finite results and
//! a valid bound.
#![no_main]
use std::time::Duration;

use lc_siting::{solve, Instance, InstanceData, Method, Options, Problem, UNLIMITED};
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{parts, put_in, scratch};

const FILES: [&str; 4] = ["demand.csv", "candidates.csv", "existing.csv", "costs.csv"];

fuzz_target!(|data: &[u8]| {
    let p = parts(data, 4);
    for (name, bytes) in FILES.iter().zip(&p) {
        put_in("costs", name, bytes);
    }
    let dir = scratch().join("costs");
    let d = match lc_tables::read_cost_tables(&dir, false) {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            assert!(
                FILES.iter().any(|f| msg.contains(f)),
                "the error names no file: {msg}"
            );
            return;
        }
    };
    let cap = |c: Option<f64>| c.unwrap_or(UNLIMITED);
    let inst = Instance::new(InstanceData {
        weight: d.weights.clone(),
        candidate_capacity: d.candidates.iter().map(|c| cap(c.capacity)).collect(),
        candidate_pairs: d.candidate_pairs.clone(),
        existing_capacity: d.existing_capacity.iter().map(|&c| cap(c)).collect(),
        existing_pairs: d.existing_pairs.clone(),
        candidate_cost: d.candidates.iter().map(|c| c.cost).collect(),
    })
    .unwrap_or_else(|e| panic!("read_cost_tables accepted data that Instance::new refuses: {e}"));
    if inst.n_communities() > 64 || inst.n_candidates() > 16 {
        return;
    }
    let opts = Options {
        method: Method::Heuristic,
        time_limit: Duration::from_secs(5),
        rel_gap: 0.0,
    };
    let budget = d.candidates.iter().filter_map(|c| c.cost).sum::<f64>() / 2.0;
    for problem in [
        Problem::Mclp {
            p: 2,
            radius: 800.0,
        },
        Problem::Lscp { radius: 800.0 },
        Problem::PMedian {
            p: 2,
            penalty: 2000.0,
            radius: 800.0,
        },
        Problem::Capacitated {
            p: 2,
            radius: 800.0,
        },
        Problem::BudgetCoverage {
            budget,
            radius: 800.0,
        },
    ] {
        let Ok(s) = solve(&inst, &problem, &opts) else {
            continue;
        };
        assert!(
            s.objective.is_finite() && s.bound.is_finite(),
            "{problem:?}: {s:?}"
        );
        let slack = 1e-6 * s.objective.abs().max(1.0);
        if problem.maximise() {
            assert!(s.objective <= s.bound + slack, "{problem:?}: {s:?}");
        } else {
            assert!(s.objective >= s.bound - slack, "{problem:?}: {s:?}");
        }
        if let Some(p) = problem.p() {
            assert!(s.chosen.len() <= p, "{problem:?}: {s:?}");
        }
    }
});

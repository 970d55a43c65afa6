//! Siting through the library directly (issue 15: "a test drives the library"): `run_site`
//! (the server's and the Python package's scenarios) and `build_scenario`/`solve_scenario`
//! (the command line's `site`) on a hand-made street whose answers are worked out by hand.
//!
//! The street: nodes 0 to 10 along the equator, 0.0009° (≈ 100 m) apart, each edge 100 m.
//! Communities A (1000 people, 30 children 0–3) at node 0, B (2000, 40) at node 5, C (500,
//! 10) at node 10, and Far (9999) a degree away, off the network. Candidates K1 (capacity 20,
//! cost 100) at node 1, K5 (50, no cost) at node 5, K9 (no capacity, cost 80) at node 9. An
//! existing nursery E0 (capacity 10) at node 0, and a pharmacy P10 at node 10 that a nursery
//! scenario must not count.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use lc_model::{Candidate, Category, Community, Demand, Facility, LonLat};
use lc_network::{Graph, RawEdge, RawNetwork, SnapMode};
use lc_pipeline::{
    build_scenario, instance_from_costs, run_site, solve_scenario, CancelFlag, LoadOptions,
    Observer, PipelineError, ScenarioOptions, Silent, SiteInputs, SiteOptions, Step,
};
use lc_siting::{Method, Options, Problem};

fn cat(key: &str) -> Category {
    Category::from_key(key).unwrap()
}

fn street() -> Graph {
    let raw = RawNetwork {
        node_ids: (0..11).collect(),
        coords: (0..11)
            .map(|k| LonLat::new(0.0009 * k as f64, 0.0))
            .collect(),
        edges: (1..11)
            .map(|k| RawEdge {
                from: k - 1,
                to: k,
                length_m: 100.0,
            })
            .collect(),
    };
    lc_pipeline::network::from_raw(raw, "street", &LoadOptions::default(), &Silent)
        .expect("the street builds")
        .graph
}

fn community(id: &str, lon: f64, lat: f64, population: f64, children: f64) -> Community {
    Community {
        id: id.into(),
        name: id.to_lowercase(),
        pos: LonLat::new(lon, lat),
        population,
        households: None,
        elderly: None,
        children_0_3: Some(children),
        division_code: None,
    }
}

fn communities() -> Vec<Community> {
    vec![
        community("A", 0.0, 0.0, 1000.0, 30.0),
        community("B", 0.0045, 0.0, 2000.0, 40.0),
        community("C", 0.009, 0.0, 500.0, 10.0),
        community("Far", 1.0, 1.0, 9999.0, 99.0),
    ]
}

fn candidate(id: &str, node: u32, capacity: Option<f64>, cost: Option<f64>) -> Candidate {
    Candidate {
        id: id.into(),
        name: String::new(),
        pos: LonLat::new(0.0009 * node as f64, 0.0),
        capacity,
        cost,
    }
}

fn candidates() -> Vec<Candidate> {
    vec![
        candidate("K1", 1, Some(20.0), Some(100.0)),
        candidate("K5", 5, Some(50.0), None),
        candidate("K9", 9, None, Some(80.0)),
    ]
}

fn facility(id: &str, category: Category, lon: f64, capacity: Option<f64>) -> Facility {
    Facility {
        id: id.into(),
        name: id.into(),
        category,
        pos: LonLat::new(lon, 0.0),
        capacity,
        floor_area_m2: None,
        provider_code: None,
        division_code: None,
    }
}

fn facilities() -> Vec<Facility> {
    vec![
        facility("P10", cat("pharmacy"), 0.009, None),
        facility("E0", cat("nursery"), 0.0, Some(10.0)),
    ]
}

fn site_options(sites: usize, radius_m: f64) -> SiteOptions {
    SiteOptions {
        category: cat("nursery"),
        sites,
        radius_m,
        snap: SnapMode::Node,
        snap_limit: 300.0,
        time_limit: Duration::from_secs(10),
    }
}

/// Records the steps a run reports, in order.
#[derive(Default)]
struct Steps(Mutex<Vec<(Step, &'static str)>>);

impl Observer for Steps {
    fn start(&self, step: Step, _total: Option<u64>) {
        self.0.lock().unwrap().push((step, "start"));
    }
    fn finish(&self, step: Step, _secs: f64) {
        self.0.lock().unwrap().push((step, "finish"));
    }
}

#[test]
fn run_site_orders_the_sites_by_what_each_adds() {
    let graph = street();
    let (cs, ks, fs) = (communities(), candidates(), facilities());
    let inputs = SiteInputs {
        communities: &cs,
        facilities: &fs,
        candidates: &ks,
    };
    let steps = Steps::default();
    // One site within 200 m: E0 already covers A; K5 brings B (2000), more than K9 brings
    // C (500); K1 brings nobody new. The pharmacy at C's node is no nursery.
    let run = run_site(&graph, &inputs, &site_options(1, 200.0), &steps).unwrap();
    assert_eq!(run.existing, [1], "only the nursery E0 is open");
    assert_eq!(run.covered_before, 1000.0);
    assert_eq!(run.covered_after, 3000.0);
    assert_eq!(run.population, 1000.0 + 2000.0 + 500.0 + 9999.0);
    assert_eq!(
        run.communities_placed.too_far,
        [3],
        "Far is off the network"
    );
    assert!(run.solution.optimal, "{:?}", run.solution);
    assert_eq!(run.bound, 3000.0);
    assert_eq!(run.sites.len(), 1);
    assert_eq!(run.sites[0].candidate, 1);
    assert_eq!(run.sites[0].newly_covered, 2000.0);
    assert_eq!(run.sites[0].communities, [1]);
    let reported = steps.0.lock().unwrap().clone();
    assert_eq!(
        reported,
        [
            (Step::Place, "start"),
            (Step::Place, "finish"),
            (Step::Access, "start"),
            (Step::Access, "finish"),
            (Step::Site, "start"),
            (Step::Site, "finish"),
        ]
    );
    for key in ["snap", "access", "site"] {
        assert!(run.timings.contains_key(key), "{:?}", run.timings);
    }

    // Two sites: K5 first (2000), then K9 (C, 500); each community credited once, the
    // cumulative column adding up to the coverage after.
    let run = run_site(&graph, &inputs, &site_options(2, 200.0), &Silent).unwrap();
    let order: Vec<(usize, f64, f64, Vec<usize>)> = run
        .sites
        .iter()
        .map(|s| {
            (
                s.candidate,
                s.newly_covered,
                s.cumulative,
                s.communities.clone(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [(1, 2000.0, 3000.0, vec![1]), (2, 500.0, 3500.0, vec![2])]
    );
    assert_eq!(run.covered_after, 3500.0);
}

#[test]
fn run_site_refuses_nothing_to_site_and_options_out_of_range_and_stops_when_cancelled() {
    let graph = street();
    let (cs, ks, fs) = (communities(), candidates(), facilities());
    let inputs = SiteInputs {
        communities: &cs,
        facilities: &fs,
        candidates: &ks,
    };
    for opts in [site_options(0, 200.0), site_options(1, 0.0)] {
        let e = run_site(&graph, &inputs, &opts, &Silent).unwrap_err();
        assert!(matches!(e, PipelineError::BadOption(_)), "{e}");
    }
    let far = vec![candidate("KX", 0, None, None)]
        .into_iter()
        .map(|mut k| {
            k.pos = LonLat::new(2.0, 2.0);
            k
        })
        .collect::<Vec<_>>();
    let e = run_site(
        &graph,
        &SiteInputs {
            candidates: &far,
            ..inputs
        },
        &site_options(1, 200.0),
        &Silent,
    )
    .unwrap_err();
    // The server tells this refusal apart by its words.
    assert!(
        matches!(&e, PipelineError::NothingToCompute(m) if m.contains("candidate plot")),
        "{e}"
    );
    let e = run_site(
        &graph,
        &SiteInputs {
            communities: &cs[3..],
            ..inputs
        },
        &site_options(1, 200.0),
        &Silent,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PipelineError::NothingToCompute(m) if m.contains("no community")),
        "{e}"
    );
    let flag = CancelFlag::new();
    flag.cancel();
    let e = run_site(&graph, &inputs, &site_options(1, 200.0), &flag).unwrap_err();
    assert!(matches!(e, PipelineError::Cancelled), "{e}");
}

fn scenario_options(problem: Problem, demand: Demand) -> ScenarioOptions {
    ScenarioOptions {
        category: cat("nursery"),
        problem,
        demand,
        capacities: true,
        costs: true,
        snap: SnapMode::Node,
        snap_limit: 300.0,
        files: None,
    }
}

fn solver() -> Options {
    Options {
        method: Method::Auto,
        time_limit: Duration::from_secs(10),
        rel_gap: 0.0,
    }
}

#[test]
fn scenarios_of_every_kind_and_their_cost_tables_give_the_same_answers() {
    let graph = street();
    let (cs, ks, fs) = (communities(), candidates(), facilities());
    let inputs = SiteInputs {
        communities: &cs,
        facilities: &fs,
        candidates: &ks,
    };
    // Capacitated coverage of children 0-3 within 500 m (A 30, B 40, C 10; Far 99 off the
    // network), E0 open with 10 places (A's): with K5 (50 places, reaching all three) 60
    // are placed, with K9 (unlimited, reaching B and C: 50) 60 too; E0, K5 and K9 together
    // place all 80. The category's demand is the default for capacitated coverage.
    for (p, want) in [(1, 60.0), (2, 80.0)] {
        let problem = Problem::Capacitated { p, radius: 500.0 };
        let demand = lc_pipeline::auto_demand(&problem, cat("nursery"));
        assert_eq!(demand, Demand::Children0To3);
        let sc =
            build_scenario(&graph, &inputs, &scenario_options(problem, demand), &Silent).unwrap();
        assert_eq!(sc.weights, [30.0, 40.0, 10.0, 99.0]);
        assert_eq!(sc.weighed_by_population, 0);
        let (sol, ev, _) = solve_scenario(&sc.instance, &problem, &solver(), &Silent).unwrap();
        assert_eq!(sol.objective, want, "p = {p}: {sol:?}");
        assert!(ev.covered_after <= sol.bound + 1e-9);
        // The cost tables give the instance back: the same answer without the network.
        let tables = sc.cost_tables(&inputs);
        assert_eq!(tables.existing_ids, ["E0"]);
        assert_eq!(tables.existing_capacity, [Some(10.0)]);
        assert_eq!(tables.candidates, ks);
        let again = instance_from_costs(&tables).unwrap();
        let (sol2, _, _) = solve_scenario(&again, &problem, &solver(), &Silent).unwrap();
        assert_eq!(sol2.objective, sol.objective);
        assert_eq!(sol2.chosen, sol.chosen);
    }
    // A budget of 150 within 200 m over the priced candidates, E0 open (A covered): K9 (80)
    // brings C; K1 (100) brings nobody new, and both (180) are over the budget.
    let problem = Problem::BudgetCoverage {
        budget: 150.0,
        radius: 200.0,
    };
    let priced: Vec<Candidate> = ks.iter().filter(|k| k.cost.is_some()).cloned().collect();
    let sc = build_scenario(
        &graph,
        &SiteInputs {
            candidates: &priced,
            ..inputs
        },
        &scenario_options(problem, Demand::Population),
        &Silent,
    )
    .unwrap();
    let (sol, ev, _) = solve_scenario(&sc.instance, &problem, &solver(), &Silent).unwrap();
    assert_eq!(sol.chosen, [1], "K9 of K1, K9: {sol:?}");
    assert_eq!((ev.covered_before, ev.covered_after), (1000.0, 1500.0));
    // Weighed by a figure the communities lack: by population, and counted.
    let sc = build_scenario(
        &graph,
        &inputs,
        &scenario_options(
            Problem::Mclp {
                p: 1,
                radius: 200.0,
            },
            Demand::Elderly,
        ),
        &Silent,
    )
    .unwrap();
    assert_eq!(sc.weighed_by_population, 4);
    assert_eq!(sc.weights, [1000.0, 2000.0, 500.0, 9999.0]);
}

#[test]
fn a_scenario_with_files_names_them_when_there_is_nothing_to_site() {
    let graph = street();
    let (cs, fs) = (communities(), facilities());
    let none: Vec<Candidate> = Vec::new();
    let mut opts = scenario_options(
        Problem::Mclp {
            p: 1,
            radius: 200.0,
        },
        Demand::Population,
    );
    opts.files = Some((PathBuf::from("c.csv"), PathBuf::from("k.csv")));
    let e = build_scenario(
        &graph,
        &SiteInputs {
            communities: &cs,
            facilities: &fs,
            candidates: &none,
        },
        &opts,
        &Silent,
    )
    .unwrap_err();
    let m = e.to_string();
    assert!(
        matches!(e, PipelineError::NothingToCompute(_))
            && m.starts_with("k.csv: ")
            && m.contains("nothing to site"),
        "{m}"
    );
}

//! The pipeline driven directly as a library (issue 15), on the shipped Chengdu demo: a real
//! OpenStreetMap extract (© OpenStreetMap contributors, ODbL 1.0; demo/chengdu-central/README.md).

use lc_model::{Category, Community, Facility};
use lc_network::SnapMode;
use lc_pipeline::{
    network, run_access, run_assess, AccessOptions, AssessInputs, AssessOptions, CancelFlag,
    LoadOptions, NetworkSource, Observer, PipelineError, Silent, Step,
};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../demo/chengdu-central")
        .join(name)
}

/// The demo's OSM file copied into a fresh folder (the cache is written beside it).
fn osm_copy() -> (tempfile::TempDir, NetworkSource) {
    let dir = tempfile::tempdir().unwrap();
    let osm = dir.path().join("chengdu.osm.pbf");
    std::fs::copy(demo("chengdu-central.osm.pbf"), &osm).unwrap();
    (dir, NetworkSource::Osm(osm))
}

fn points() -> (Vec<Community>, Vec<Facility>) {
    let c = lc_tables::read_communities(&demo("communities.csv"), lc_tables::Crs::Wgs84).unwrap();
    let f = lc_tables::read_facilities(&demo("facilities.csv"), lc_tables::Crs::Wgs84).unwrap();
    (c, f)
}

fn options(communities_file: PathBuf) -> AccessOptions {
    AccessOptions {
        k: 3,
        max_distance: 1500.0,
        circles: vec![300.0, 500.0, 1000.0],
        capacity_catchment: Some(1000.0),
        categories: None,
        snap: SnapMode::Edge,
        snap_limit: 500.0,
        communities_file,
    }
}

/// Records what a run reports.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<(Step, &'static str, u64)>>,
    /// Cancel once this event (step, "start" or "finish") has been seen.
    cancel_on: Option<(Step, &'static str)>,
}

impl Observer for Recorder {
    fn start(&self, step: Step, total: Option<u64>) {
        self.events
            .lock()
            .unwrap()
            .push((step, "start", total.unwrap_or(0)));
    }
    fn advance(&self, step: Step, done: u64) {
        self.events.lock().unwrap().push((step, "advance", done));
    }
    fn finish(&self, step: Step, _secs: f64) {
        self.events.lock().unwrap().push((step, "finish", 0));
    }
    fn cancelled(&self) -> bool {
        let ev = self.events.lock().unwrap();
        match self.cancel_on {
            Some((s, what)) => ev.iter().any(|e| e.0 == s && e.1 == what),
            None => false,
        }
    }
}

#[test]
fn access_through_the_library_is_ordered_consistent_and_finds_a_facility_on_the_spot() {
    let (_dir, source) = osm_copy();
    let loaded = network::load(&source, &LoadOptions::default(), &Silent).unwrap();
    assert!(
        loaded.graph.node_count() > 5_000,
        "{}",
        loaded.graph.node_count()
    );
    let (communities, mut facilities) = points();
    // A pharmacy exactly where the first community is: its nearest pharmacy is that one, 0 m.
    facilities.push(Facility {
        id: "ZZ-ON-THE-SPOT".into(),
        name: "同位药店".into(),
        category: Category::from_key("pharmacy").unwrap(),
        pos: communities[0].pos,
        capacity: None,
        floor_area_m2: None,
        provider_code: None,
        division_code: None,
    });
    let rec = Recorder::default();
    let run = run_access(
        &loaded.graph,
        &communities,
        facilities,
        &options(demo("communities.csv")),
        &rec,
    )
    .unwrap();
    assert_eq!(run.results.len(), communities.len());
    let pharmacy = run
        .selected
        .iter()
        .position(|c| c.key() == "pharmacy")
        .unwrap() as u16;
    let first = run.results[0]
        .nearest
        .iter()
        .find(|f| f.category == pharmacy && f.rank == 1)
        .unwrap();
    assert!(first.distance_m < 1e-3, "{}", first.distance_m);
    assert_eq!(run.facilities.id(first.facility as usize), "ZZ-ON-THE-SPOT");
    let nc = 3;
    for r in &run.results {
        for w in r.nearest.windows(2) {
            if w[0].category == w[1].category {
                assert!(w[0].distance_m <= w[1].distance_m && w[0].rank < w[1].rank);
            }
        }
        for c in 0..run.selected.len() {
            let counts = &r.counts[c * nc..c * nc + nc];
            assert!(
                counts[0] <= counts[1] && counts[1] <= counts[2],
                "{counts:?}"
            );
        }
    }
    // Capacity ratios exist for the categories with capacities.
    let tsf = run.capacity_ratios(&communities);
    assert_eq!(tsf.ratio.len(), communities.len() * run.selected.len());
    // The observer saw the steps in order, each started and finished, access never past its total.
    let ev = rec.events.lock().unwrap();
    let starts: Vec<Step> = ev.iter().filter(|e| e.1 == "start").map(|e| e.0).collect();
    assert_eq!(starts, vec![Step::Place, Step::Access]);
    assert_eq!(ev.iter().filter(|e| e.1 == "finish").count(), 2);
    let total = communities.len() as u64;
    assert!(ev
        .iter()
        .filter(|e| e.0 == Step::Access && e.1 == "advance")
        .all(|e| e.2 <= total));
}

#[test]
fn a_run_can_be_cancelled_before_and_during_its_steps() {
    let (_dir, source) = osm_copy();
    let flag = CancelFlag::new();
    flag.cancel();
    assert!(matches!(
        network::load(&source, &LoadOptions::default(), &flag),
        Err(PipelineError::Cancelled)
    ));
    let loaded = network::load(&source, &LoadOptions::default(), &Silent).unwrap();
    let (communities, facilities) = points();
    // Between steps (after placing), and inside the access step (the searches poll it).
    for (on, access_started) in [
        ((Step::Place, "finish"), false),
        ((Step::Access, "start"), true),
    ] {
        let rec = Recorder {
            cancel_on: Some(on),
            ..Recorder::default()
        };
        let err = run_access(
            &loaded.graph,
            &communities,
            facilities.clone(),
            &options(demo("communities.csv")),
            &rec,
        )
        .unwrap_err();
        assert!(matches!(err, PipelineError::Cancelled), "{err}");
        let ev = rec.events.lock().unwrap();
        assert_eq!(
            ev.iter().any(|e| e.0 == Step::Access && e.1 == "start"),
            access_started
        );
        assert!(
            !ev.iter().any(|e| e.0 == Step::Access && e.1 == "finish"),
            "the access step did not complete"
        );
    }
}

#[test]
fn the_cache_serves_a_second_load_and_a_corrupt_one_is_rebuilt() {
    let (_dir, source) = osm_copy();
    let opts = LoadOptions::default();
    let first = network::load(&source, &opts, &Silent).unwrap();
    assert!(first.from_cache.is_none() && first.report.is_some());
    let second = network::load(&source, &opts, &Silent).unwrap();
    let cache = second.from_cache.clone().expect("read from the cache");
    // The very graph that was built: ids, positions, edges and the adjacency arrays.
    assert_eq!(second.graph, first.graph);
    assert_eq!(second.graph.csr(), first.graph.csr());
    // Cut the cache in half: detected, rebuilt, written again.
    let bytes = std::fs::read(&cache).unwrap();
    std::fs::write(&cache, &bytes[..bytes.len() / 2]).unwrap();
    let third = network::load(&source, &opts, &Silent).unwrap();
    assert!(third.from_cache.is_none());
    assert_eq!(third.graph.node_count(), first.graph.node_count());
    assert!(network::load(&source, &opts, &Silent)
        .unwrap()
        .from_cache
        .is_some());
    // A cache of format version 1 (the magic, then version 1) is not read: rebuilt, written
    // again in the current format, and read from the next time.
    let mut old = b"LCNET".to_vec();
    old.extend_from_slice(&1u32.to_le_bytes());
    old.extend_from_slice(&bytes[9..]);
    std::fs::write(&cache, &old).unwrap();
    let fourth = network::load(&source, &opts, &Silent).unwrap();
    assert!(fourth.from_cache.is_none() && fourth.report.is_some());
    assert_eq!(fourth.graph, first.graph);
    let rewritten = std::fs::read(&cache).unwrap();
    assert_eq!(
        rewritten, bytes,
        "written again, byte for byte as the first time"
    );
    let fifth = network::load(&source, &opts, &Silent).unwrap();
    assert_eq!(fifth.from_cache.as_ref(), Some(&cache));
    assert_eq!(fifth.graph, first.graph);
}

#[test]
fn communities_all_off_the_network_are_nothing_to_compute() {
    let (_dir, source) = osm_copy();
    let loaded = network::load(&source, &LoadOptions::default(), &Silent).unwrap();
    let (mut communities, facilities) = points();
    for c in &mut communities {
        c.pos.lat += 1.0; // about 111 km north
    }
    let err = run_access(
        &loaded.graph,
        &communities,
        facilities,
        &options(PathBuf::from("far.csv")),
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, PipelineError::NothingToCompute(_)), "{err}");
    assert!(err.to_string().contains("none of the"), "{err}");
}

#[test]
fn the_assessment_through_the_library_checks_every_community_against_every_requirement() {
    let (_dir, source) = osm_copy();
    let loaded = network::load(&source, &LoadOptions::default(), &Silent).unwrap();
    let (communities, facilities) = points();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let standards: Vec<_> = ["gb50180-2018.toml", "mofcom-15min.toml"]
        .iter()
        .map(|f| {
            let p = root.join("standards").join(f);
            lc_standards::parse_standard(f, &std::fs::read_to_string(p).unwrap()).unwrap()
        })
        .collect();
    let plans = vec![lc_standards::parse_plan(
        "cn-national.toml",
        &std::fs::read_to_string(root.join("targets/cn-national.toml")).unwrap(),
    )
    .unwrap()];
    let divisions = lc_assess::Divisions::new();
    let run = run_assess(
        &loaded.graph,
        &AssessInputs {
            standards: &standards,
            plans: &plans,
            divisions: &divisions,
            communities: &communities,
            facilities: &lc_model::FacilityList::from(facilities),
            candidates: &[],
            platform: None,
        },
        &AssessOptions {
            max_distance: 1500.0,
            snap: SnapMode::Edge,
            snap_limit: 500.0,
            communities_file: demo("communities.csv"),
        },
        &Silent,
    )
    .unwrap();
    let a = &run.assessment;
    assert!(!a.requirements.is_empty());
    // The meal sites within 15 minutes (CNM1, monitoring): a share of the elderly, no target.
    let cnm1 = plans[0]
        .indicators
        .iter()
        .position(|i| i.id == "CNM1")
        .unwrap();
    let whole = a
        .indicators
        .iter()
        .find(|r| r.indicator == cnm1 && r.level == lc_standards::RegionLevel::All)
        .unwrap();
    assert!(
        whole.value.is_some_and(|v| (0.0..=100.0).contains(&v)),
        "{whole:?}"
    );
    assert_eq!(whole.met, None);
    assert_eq!(a.checks.len(), communities.len() * a.requirements.len());
    assert!(!a.shortcomings.is_empty(), "the demo has gaps");
    assert_eq!(run.access.len(), communities.len());
    for key in ["snap", "access", "assess"] {
        assert!(run.timings.contains_key(key), "{key}");
    }
}

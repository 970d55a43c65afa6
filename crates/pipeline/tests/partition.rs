//! Partitioned runs driven as a library (issue 15 item 3): every part's communities get exactly
//! the whole run's results — the same facilities, ranks, distances to the bit and circle
//! counts — on a generated city cut by streets and by grid cells (with facilities added on the
//! boundaries and ties at equal distance), and on the real network of central Chengdu cut by
//! districts (© OpenStreetMap contributors, ODbL 1.0; demo/chengdu-central/README.md).

use lc_access::CommunityAccess;
use lc_model::{Category, Community, Facility, LonLat};
use lc_network::SnapMode;
use lc_pipeline::partition::{self, PairsRequest, PartJob, PlanRequest, Scheme};
use lc_pipeline::{
    network, run_access, AccessOptions, FacilityIds, LoadOptions, NetworkSource, Silent,
};
use std::path::{Path, PathBuf};

/// One community's result with facility ids instead of indices: (category, rank, facility
/// id, distance bits) per row, and the counts.
type Rows = (Vec<(Category, u16, String, u64)>, Vec<u32>);

fn rows(
    r: &CommunityAccess,
    selected: &[Category],
    facilities: &(impl FacilityIds + ?Sized),
) -> Rows {
    (
        r.nearest
            .iter()
            .map(|f| {
                (
                    selected[f.category as usize],
                    f.rank,
                    facilities.facility_id(f.facility as usize).to_string(),
                    f.distance_m.to_bits(),
                )
            })
            .collect(),
        r.counts.clone(),
    )
}

struct Files {
    nodes: PathBuf,
    edges: PathBuf,
    communities: PathBuf,
    facilities: PathBuf,
}

impl Files {
    fn in_dir(d: &Path) -> Files {
        Files {
            nodes: d.join("nodes.csv"),
            edges: d.join("edges.csv"),
            communities: d.join("communities.csv"),
            facilities: d.join("facilities.csv"),
        }
    }
}

/// The whole run, as `livingcircle access` makes it (largest component unless `keep_all`).
fn whole(f: &Files, snap: SnapMode, keep_all: bool, circles: &[f64]) -> Vec<Rows> {
    let loaded = network::load(
        &NetworkSource::Tables {
            nodes: f.nodes.clone(),
            edges: f.edges.clone(),
        },
        &LoadOptions {
            keep_all_components: keep_all,
            use_cache: false,
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    let c = lc_tables::read_communities(&f.communities, lc_tables::Crs::Wgs84).unwrap();
    let fac = lc_tables::read_facilities(&f.facilities, lc_tables::Crs::Wgs84).unwrap();
    let run = run_access(
        &loaded.graph,
        &c,
        fac,
        &AccessOptions {
            k: 3,
            max_distance: 1000.0,
            circles: circles.to_vec(),
            capacity_catchment: None,
            categories: None,
            snap,
            snap_limit: 300.0,
            communities_file: f.communities.clone(),
        },
        &Silent,
    )
    .unwrap();
    run.results
        .iter()
        .map(|r| rows(r, &run.selected, &run.facilities))
        .collect()
}

/// The partitioned run: plan, run every part, and each community's result by input index.
/// Returns the results and, per part, (nodes read, communities).
fn partitioned(
    f: &Files,
    scheme: Scheme,
    snap: SnapMode,
    keep_all: bool,
    circles: &[f64],
    work: &Path,
) -> (Vec<Option<Rows>>, Vec<(u64, usize)>, u64) {
    let plan = partition::plan(
        &PlanRequest {
            nodes: f.nodes.clone(),
            edges: f.edges.clone(),
            communities: f.communities.clone(),
            facilities: f.facilities.clone(),
            crs: lc_tables::Crs::Wgs84,
            scheme,
            k: 3,
            max_distance: 1000.0,
            circles: circles.to_vec(),
            categories: None,
            snap,
            snap_limit: 300.0,
            keep_all_components: keep_all,
            counts: true,
            walk_speed_m_per_min: None,
            pairs: PairsRequest::None,
            out_dir: work.to_path_buf(),
        },
        &Silent,
    )
    .unwrap();
    let files = partition::write_plan(&plan).unwrap();
    let mut got: Vec<Option<Rows>> = vec![None; plan.file.communities as usize];
    let mut parts = Vec::new();
    for file in &files {
        // Each part from its job file, as a batch engine would run it.
        let job = PartJob::load(file).unwrap();
        let out = partition::run_part(&job, file, &Silent).unwrap();
        for (k, &i) in out.indices.iter().enumerate() {
            assert!(got[i as usize].is_none(), "community {i} in two parts");
            got[i as usize] = Some(rows(&out.results[k], &out.selected, &out.facilities));
        }
        parts.push((out.stats.nodes_read, out.indices.len()));
    }
    (got, parts, plan.file.network.nodes)
}

fn assert_same(whole: &[Rows], parts: &[Option<Rows>], what: &str) {
    assert_eq!(whole.len(), parts.len());
    let mut found = 0;
    for (i, (w, p)) in whole.iter().zip(parts).enumerate() {
        let p = p
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: community {i} in no part"));
        assert_eq!(w, p, "{what}: community {i} differs");
        found += w.0.len();
    }
    assert!(
        found > 100,
        "{what}: too few rows to mean anything ({found})"
    );
}

/// A generated city of several districts, with facilities added where parts meet: for pairs
/// of neighbouring communities of different streets, two kindergartens at the same point
/// half-way between them (equal distances, ordered by id) and a pharmacy exactly on one of
/// them; and a small network component of its own beside a community, which the whole run
/// drops (it is not the largest).
fn generated_city(dir: &Path) -> Files {
    let params = lc_citygen::CityParams::new(30_000, 7);
    let city = lc_citygen::generate(&params);
    let f = Files::in_dir(dir);
    let mut net = city.network.clone();
    let c0 = city.communities[0].pos;
    let base = net.node_ids.len() as u32;
    let top = net.node_ids.iter().max().copied().unwrap_or(0);
    for k in 0..3 {
        net.node_ids.push(top + 1 + k as i64);
        net.coords
            .push(LonLat::new(c0.lon + 0.0002 * (k as f64 - 1.0), c0.lat));
    }
    for k in 0..2 {
        net.edges.push(lc_network::RawEdge {
            from: base + k,
            to: base + k + 1,
            length_m: 17.0,
        });
    }
    lc_tables::write_network(&f.nodes, &f.edges, &net).unwrap();
    lc_tables::write_communities(&f.communities, &city.communities).unwrap();
    let mut facilities = city.facilities.clone();
    let cs = &city.communities;
    let street = |c: &Community| c.division_code.clone().unwrap_or_default()[..9].to_string();
    let mut added = 0;
    for (i, a) in cs.iter().enumerate() {
        let Some((j, _)) = cs
            .iter()
            .enumerate()
            .filter(|(_, b)| street(b) != street(a))
            .map(|(j, b)| (j, a.pos.haversine_m(b.pos)))
            .min_by(|x, y| x.1.total_cmp(&y.1))
        else {
            continue;
        };
        if j < i || added >= 40 {
            continue;
        }
        let b = &cs[j];
        let mid = LonLat::new((a.pos.lon + b.pos.lon) / 2.0, (a.pos.lat + b.pos.lat) / 2.0);
        for (id, cat, pos, capacity) in [
            (
                format!("zz-tie-b-{i}"),
                Category::from_key("kindergarten").unwrap(),
                mid,
                Some(90.0),
            ),
            (
                format!("zz-tie-a-{i}"),
                Category::from_key("kindergarten").unwrap(),
                mid,
                Some(60.0 + i as f64),
            ),
            (
                format!("zz-on-{i}"),
                Category::from_key("pharmacy").unwrap(),
                b.pos,
                None,
            ),
        ] {
            facilities.push(Facility {
                id,
                name: "boundary".into(),
                category: cat,
                pos,
                capacity,
                floor_area_m2: None,
                provider_code: None,
                division_code: None,
            });
        }
        added += 1;
    }
    assert!(added >= 10, "only {added} boundary pairs");
    lc_tables::write_facilities(&f.facilities, &facilities).unwrap();
    f
}

#[test]
fn parts_of_a_generated_city_equal_the_whole_run_in_both_snap_modes() {
    let dir = tempfile::tempdir().unwrap();
    let f = generated_city(dir.path());
    let circles = [300.0, 500.0, 1000.0];
    for snap in [SnapMode::Edge, SnapMode::Node] {
        let w = whole(&f, snap, false, &circles);
        for (scheme, min_parts) in [
            (Scheme::Division { digits: 6 }, 4),
            (Scheme::Division { digits: 9 }, 12),
            (Scheme::Grid { cell_m: 2500.0 }, 6),
        ] {
            let work = dir.path().join(format!("{snap:?}-{scheme:?}"));
            let (p, parts, nodes) = partitioned(&f, scheme, snap, false, &circles, &work);
            assert_same(&w, &p, &format!("{snap:?} {scheme:?}"));
            assert!(
                parts.len() >= min_parts,
                "{scheme:?}: {} parts",
                parts.len()
            );
            // A part reads only its extent: every part far less than the whole network.
            for (read, n) in &parts {
                assert!(
                    *read < nodes,
                    "{scheme:?}: a part of {n} communities read {read} of {nodes} nodes"
                );
            }
            let smallest = parts.iter().map(|p| p.0).min().unwrap();
            assert!(
                smallest * 2 < nodes,
                "{scheme:?}: smallest part read {smallest} of {nodes}"
            );
        }
    }
}

#[test]
fn keeping_every_component_is_decided_as_in_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let f = generated_city(dir.path());
    let circles = [500.0];
    let w = whole(&f, SnapMode::Edge, true, &circles);
    let work = dir.path().join("all");
    let (p, _, _) = partitioned(
        &f,
        Scheme::Division { digits: 9 },
        SnapMode::Edge,
        true,
        &circles,
        &work,
    );
    assert_same(&w, &p, "keep all components");
    // The little component is kept here and dropped by default: the first community's nearest
    // differ between the two whole runs, and each partitioned run follows its own.
    let lcc = whole(&f, SnapMode::Edge, false, &circles);
    assert_ne!(
        w[0], lcc[0],
        "the extra component must matter to community 0"
    );
    let dropped = std::fs::read_to_string(work.join("dropped-nodes.txt")).unwrap();
    assert_eq!(
        dropped, "",
        "nothing is dropped when every component is kept"
    );
}

#[test]
fn parts_of_central_chengdu_equal_the_whole_run() {
    // Real OSM data: the walkable network of the demo, as node/edge tables.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/chengdu-central");
    let ex = lc_osm::read_osm_file(
        &demo.join("chengdu-central.osm.pbf"),
        &lc_osm::OsmOptions::default(),
        None,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = Files::in_dir(dir.path());
    lc_tables::write_network(&f.nodes, &f.edges, &ex.network).unwrap();
    std::fs::copy(demo.join("communities.csv"), &f.communities).unwrap();
    std::fs::copy(demo.join("facilities.csv"), &f.facilities).unwrap();
    let circles = [300.0, 500.0, 1000.0];
    let w = whole(&f, SnapMode::Edge, false, &circles);
    let (p, parts, nodes) = partitioned(
        &f,
        Scheme::Division { digits: 6 },
        SnapMode::Edge,
        false,
        &circles,
        &dir.path().join("parts"),
    );
    assert_same(&w, &p, "Chengdu by district");
    assert!(parts.len() >= 3, "{} districts", parts.len());
    assert!(parts.iter().all(|(read, _)| *read < nodes));
}

#[test]
fn a_changed_input_or_a_bad_job_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = generated_city(dir.path());
    let work = dir.path().join("parts");
    let plan = partition::plan(
        &PlanRequest {
            nodes: f.nodes.clone(),
            edges: f.edges.clone(),
            communities: f.communities.clone(),
            facilities: f.facilities.clone(),
            crs: lc_tables::Crs::Wgs84,
            scheme: Scheme::Division { digits: 6 },
            k: 1,
            max_distance: 500.0,
            circles: vec![500.0],
            categories: Some(vec![Category::from_key("pharmacy").unwrap()]),
            snap: SnapMode::Edge,
            snap_limit: 300.0,
            keep_all_components: false,
            counts: false,
            walk_speed_m_per_min: None,
            pairs: PairsRequest::None,
            out_dir: work.clone(),
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(plan.file.options.categories, vec!["pharmacy"]);
    let files = partition::write_plan(&plan).unwrap();
    // A hand-edited job: k of 0.
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let bad = work.join("bad.json");
    std::fs::write(&bad, text.replace("\"k\": 1", "\"k\": 0")).unwrap();
    let e = PartJob::load(&bad).unwrap_err().to_string();
    assert!(
        e.contains("bad.json") && e.contains("options") && e.contains("k"),
        "{e}"
    );
    // An unknown field.
    std::fs::write(
        &bad,
        text.replacen("\"halo_m\"", "\"halo\": 1, \"halo_m\"", 1),
    )
    .unwrap();
    let e = PartJob::load(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.json") && e.contains("halo"), "{e}");
    // The communities changed after planning.
    let job = PartJob::load(&files[0]).unwrap();
    let mut c = std::fs::read_to_string(&f.communities).unwrap();
    c.push('\n');
    std::fs::write(&f.communities, c).unwrap();
    let e = partition::run_part(&job, &files[0], &Silent)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("communities.csv") && e.contains("plan again"),
        "{e}"
    );
}

/// One community's 2SFCA figures per ratio category: (category, ratio bits, supply bits,
/// facilities in the catchment).
type Ratios = Vec<(Category, u64, u64, u32)>;

fn ratio_rows(t: &lc_access::TwoStep, i: usize, selected: &[Category], cats: &[bool]) -> Ratios {
    let n = selected.len();
    (0..n)
        .filter(|&c| cats[c])
        .map(|c| {
            let slot = i * n + c;
            (
                selected[c],
                t.ratio[slot].to_bits(),
                t.supply[slot].to_bits(),
                t.facilities[slot],
            )
        })
        .collect()
}

/// The whole run's ratios, as `livingcircle access --capacity --catchment` computes them.
fn whole_ratios(f: &Files, snap: SnapMode, catchment: f64) -> Vec<Ratios> {
    let loaded = network::load(
        &NetworkSource::Tables {
            nodes: f.nodes.clone(),
            edges: f.edges.clone(),
        },
        &LoadOptions {
            use_cache: false,
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    let c = lc_tables::read_communities(&f.communities, lc_tables::Crs::Wgs84).unwrap();
    let fac = lc_tables::read_facilities(&f.facilities, lc_tables::Crs::Wgs84).unwrap();
    let run = run_access(
        &loaded.graph,
        &c,
        fac,
        &AccessOptions {
            k: 3,
            max_distance: 1000.0,
            circles: vec![500.0],
            capacity_catchment: Some(catchment),
            categories: None,
            snap,
            snap_limit: 300.0,
            communities_file: f.communities.clone(),
        },
        &Silent,
    )
    .unwrap();
    let t = run.capacity_ratios(&c);
    (0..c.len())
        .map(|i| ratio_rows(&t, i, &run.selected, &run.capacity_categories))
        .collect()
}

/// The partitioned ratios by input index, and how many communities outside their region the
/// parts searched.
fn partitioned_ratios(
    f: &Files,
    scheme: Scheme,
    snap: SnapMode,
    catchment: f64,
    work: &Path,
) -> (Vec<Option<Ratios>>, u64, usize) {
    let plan = partition::plan(
        &PlanRequest {
            nodes: f.nodes.clone(),
            edges: f.edges.clone(),
            communities: f.communities.clone(),
            facilities: f.facilities.clone(),
            crs: lc_tables::Crs::Wgs84,
            scheme,
            k: 3,
            max_distance: 1000.0,
            circles: vec![500.0],
            categories: None,
            snap,
            snap_limit: 300.0,
            keep_all_components: false,
            counts: false,
            walk_speed_m_per_min: None,
            pairs: PairsRequest::Ratios {
                catchment_m: catchment,
            },
            out_dir: work.to_path_buf(),
        },
        &Silent,
    )
    .unwrap();
    let files = partition::write_plan(&plan).unwrap();
    let mut got: Vec<Option<Ratios>> = vec![None; plan.file.communities as usize];
    let mut outside = 0;
    for file in &files {
        let job = PartJob::load(file).unwrap();
        let out = partition::run_part(&job, file, &Silent).unwrap();
        let r = out.ratios.as_ref().expect("the plan asked for ratios");
        for (k, &i) in out.indices.iter().enumerate() {
            assert!(got[i as usize].is_none(), "community {i} in two parts");
            got[i as usize] = Some(ratio_rows(&r.two_step, k, &out.selected, &r.categories));
        }
        outside += out.stats.ratio_communities;
    }
    (got, outside, files.len())
}

#[test]
fn partitioned_capacity_ratios_equal_the_whole_run_s_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let f = generated_city(dir.path());
    for (snap, scheme, min_parts) in [
        (SnapMode::Edge, Scheme::Division { digits: 9 }, 12),
        (SnapMode::Edge, Scheme::Grid { cell_m: 2500.0 }, 6),
        (SnapMode::Node, Scheme::Division { digits: 6 }, 4),
    ] {
        let catchment = 800.0;
        let w = whole_ratios(&f, snap, catchment);
        let what = format!("{snap:?} {scheme:?}");
        let work = dir.path().join(format!("ratios-{snap:?}-{scheme:?}"));
        let (p, outside, parts) = partitioned_ratios(&f, scheme, snap, catchment, &work);
        assert!(parts >= min_parts, "{what}: {parts} parts");
        assert!(
            outside > 0,
            "{what}: no part needed a community outside its region"
        );
        let (mut rows, mut shared) = (0, 0);
        for (i, (w, p)) in w.iter().zip(&p).enumerate() {
            let p = p
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: community {i} in no part"));
            assert_eq!(w, p, "{what}: community {i}'s ratios differ");
            rows += w.len();
            shared += w.iter().filter(|r| r.3 > 0).count();
        }
        assert!(
            rows > 1000 && shared > 200,
            "{what}: too few ratios to mean anything ({rows} rows, {shared} with a facility)"
        );
    }
}

//! Tests of the whole generator: determinism, size, connectivity, plausibility of the data.

use super::*;
use lc_model::CATEGORIES;
use lc_network::{BuildOptions, Graph};
use std::collections::{HashMap, HashSet};

fn city(nodes: usize, seed: u64) -> City {
    generate(&CityParams::new(nodes, seed))
}

#[test]
fn same_seed_gives_identical_output() {
    let a = city(20_000, 42);
    let b = city(20_000, 42);
    assert_eq!(a, b);
    // Bit-identical lengths, not just equal within tolerance.
    for (x, y) in a.network.edges.iter().zip(&b.network.edges) {
        assert_eq!(x.length_m.to_bits(), y.length_m.to_bits());
    }
}

#[test]
fn different_seeds_give_different_cities() {
    let a = city(20_000, 1);
    let b = city(20_000, 2);
    assert_ne!(a.network.coords, b.network.coords);
    assert_ne!(a.communities, b.communities);
    assert_ne!(a.facilities, b.facilities);
}

#[test]
fn pinned_output_for_seed_1() {
    // Guards against accidental changes of the algorithm (which change benchmark cities).
    // Update the numbers deliberately when the generator is changed on purpose.
    let c = city(5_000, 1);
    let n = c.network.node_ids.len();
    let e = c.network.edges.len();
    let total: f64 = c.network.edges.iter().map(|e| e.length_m).sum();
    let pop = c.population();
    println!("pinned: nodes {n} edges {e} length {total:.6} population {pop}");
    assert_eq!((n, e), (PINNED_NODES, PINNED_EDGES));
    assert!((total - PINNED_LENGTH).abs() < 1e-5, "{total}");
    assert_eq!(pop, PINNED_POPULATION);
}

const PINNED_NODES: usize = 5_000;
const PINNED_EDGES: usize = 9_204;
const PINNED_LENGTH: f64 = 960_949.118190;
const PINNED_POPULATION: f64 = 425_793.0;

#[test]
fn node_count_is_close_to_the_request() {
    for (nodes, seed) in [(1_000, 3), (5_000, 4), (37_000, 5), (100_000, 6)] {
        let c = city(nodes, seed);
        let got = c.network.node_ids.len() as f64;
        let dev = (got - nodes as f64).abs() / nodes as f64;
        assert!(dev <= 0.05, "asked {nodes}, got {got}");
    }
    // Other shapes and options too.
    for p in [
        CityParams {
            aspect: 1.0,
            river: false,
            ..CityParams::new(50_000, 9)
        },
        CityParams {
            site: Site::Shijiazhuang,
            aspect: 1.3,
            block_m: (100.0, 150.0),
            ..CityParams::new(30_000, 9)
        },
        CityParams::new(MIN_NODES, 1),
    ] {
        let c = generate(&p);
        let got = c.network.node_ids.len() as f64;
        let dev = (got - p.nodes as f64).abs() / p.nodes as f64;
        assert!(dev <= 0.05, "{p:?}: got {got}");
    }
}

#[test]
fn network_is_connected_and_well_formed() {
    for (nodes, seed) in [(1_000, 1), (30_000, 2), (100_000, 3)] {
        let c = city(nodes, seed);
        let raw = &c.network;
        let n = raw.node_ids.len();
        assert_eq!(raw.coords.len(), n);
        let (g, report) = Graph::build(
            raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap();
        assert!(
            g.node_count() as f64 >= 0.99 * n as f64,
            "{nodes}: largest component {} of {n}: {report:?}",
            g.node_count()
        );
        assert_eq!(report.self_loops, 0);
        // Ids: unique, all above 2^32.
        let ids: HashSet<i64> = raw.node_ids.iter().copied().collect();
        assert_eq!(ids.len(), n);
        assert!(raw.node_ids.iter().all(|&id| id > 1 << 32));
        // Lengths: haversine times a factor in [1, 1.15].
        let mut pairs = HashSet::new();
        for e in &raw.edges {
            assert!((e.from as usize) < n && (e.to as usize) < n);
            let (p, q) = (raw.coords[e.from as usize], raw.coords[e.to as usize]);
            let h = p.haversine_m(q);
            assert!(e.length_m.is_finite());
            assert!(e.length_m >= h - 1e-6, "{} < {h}", e.length_m);
            assert!(e.length_m <= 1.15 * h + 1e-6, "{} vs {h}", e.length_m);
            assert!(e.length_m > 5.0 && e.length_m < 600.0, "{}", e.length_m);
            let key = (e.from.min(e.to), e.from.max(e.to));
            assert!(pairs.insert(key), "duplicate edge {key:?}");
        }
        // Not a perfect grid: dead ends exist, and some nodes have more than 4 edges
        // (diagonals, promenades).
        let mut deg = vec![0u32; n];
        for e in &raw.edges {
            deg[e.from as usize] += 1;
            deg[e.to as usize] += 1;
        }
        assert!(deg.iter().filter(|&&d| d == 1).count() > n / 100);
        if nodes >= 30_000 {
            assert!(deg.iter().any(|&d| d > 4));
        }
        // Around the centre.
        let centre = Site::Lanzhou.center();
        let lon = raw.coords.iter().map(|p| p.lon).sum::<f64>() / n as f64;
        let lat = raw.coords.iter().map(|p| p.lat).sum::<f64>() / n as f64;
        assert!((lon - centre.lon).abs() < 0.05 && (lat - centre.lat).abs() < 0.05);
    }
}

#[test]
fn points_sit_exactly_on_nodes_of_the_main_component() {
    let c = city(30_000, 11);
    let (g, _) = Graph::build(
        &c.network,
        BuildOptions {
            keep_largest_component: true,
        },
    )
    .unwrap();
    let at: HashSet<(u64, u64)> = g
        .coords()
        .iter()
        .map(|p| (p.lon.to_bits(), p.lat.to_bits()))
        .collect();
    let mut used = HashSet::new();
    for cm in &c.communities {
        let key = (cm.pos.lon.to_bits(), cm.pos.lat.to_bits());
        assert!(at.contains(&key), "{} is not on a node", cm.id);
        assert!(used.insert(key), "two communities on one node");
    }
    for f in &c.facilities {
        assert!(
            at.contains(&(f.pos.lon.to_bits(), f.pos.lat.to_bits())),
            "{}",
            f.id
        );
    }
    // No two nodes share a position, so node snapping is unambiguous.
    assert_eq!(at.len(), g.node_count());
}

#[test]
fn communities_are_plausible() {
    let c = city(100_000, 1);
    assert_eq!(c.communities.len(), 2_000);
    let mut codes = HashSet::new();
    let mut districts = HashMap::new();
    for (i, cm) in c.communities.iter().enumerate() {
        assert_eq!(cm.id, format!("C{:06}", i + 1));
        assert!(cm.name.contains("社区"), "{}", cm.name);
        let p = cm.population;
        assert!((1_000.0..=12_000.0).contains(&p), "{p}");
        let h = cm.households.unwrap();
        assert!((p / h - 2.8).abs() < 0.3, "{p} {h}");
        let e = cm.elderly.unwrap() / p;
        assert!((0.119..=0.251).contains(&e), "{e}");
        let k = cm.children_0_3.unwrap() / p;
        assert!((0.0195..=0.0305).contains(&k), "{k}");
        let code = cm.division_code.clone().unwrap();
        assert_eq!(code.len(), 12);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert!(code.starts_with("6201"), "{code}");
        let suffix: u32 = code[9..].parse().unwrap();
        assert!((1..=199).contains(&suffix), "{code}");
        assert_ne!(&code[6..9], "000");
        *districts.entry(code[..6].to_string()).or_insert(0) += 1;
        assert!(codes.insert(code), "duplicate division code");
    }
    // All four urban districts appear.
    for d in ["620102", "620103", "620104", "620105"] {
        assert!(districts.get(d).copied().unwrap_or(0) > 50, "{districts:?}");
    }
    // Skewed: the median is well below the mean of the range.
    let mut pops: Vec<f64> = c.communities.iter().map(|c| c.population).collect();
    pops.sort_by(f64::total_cmp);
    let median = pops[pops.len() / 2];
    assert!(median < 5_000.0 && median > 1_500.0, "{median}");
    let mean = c.population() / pops.len() as f64;
    assert!(mean > median);
}

#[test]
fn community_count_can_be_set() {
    let p = CityParams {
        communities: Some(123),
        ..CityParams::new(5_000, 1)
    };
    assert_eq!(generate(&p).communities.len(), 123);
    let p = CityParams {
        communities: Some(0),
        ..CityParams::new(5_000, 1)
    };
    let c = generate(&p);
    assert!(c.communities.is_empty());
    // Facilities still cover every category.
    assert!(c.facility_counts().iter().all(|&(_, n)| n >= 1));
}

#[test]
fn every_category_is_present_with_plausible_densities() {
    let c = city(100_000, 1);
    let counts: HashMap<&str, usize> = c
        .facility_counts()
        .into_iter()
        .map(|(cat, n)| (cat.key(), n))
        .collect();
    for info in CATEGORIES {
        assert!(counts[info.key] >= 1, "no {}", info.key);
    }
    let n = |k: &str| counts[k];
    assert!(n("restaurant") > 5 * n("supermarket"));
    assert!(n("convenience_store") > 3 * n("supermarket"));
    assert!(n("supermarket") > 5 * n("hospital"));
    assert!(n("nursery") < n("convenience_store") / 5);
    // One hospital per ~100k-150k residents.
    let per_hospital = c.population() / n("hospital") as f64;
    assert!(
        (60_000.0..200_000.0).contains(&per_hospital),
        "{per_hospital}"
    );
    // Ids, names and capacities.
    let mut ids = HashSet::new();
    for (i, f) in c.facilities.iter().enumerate() {
        assert_eq!(f.id, format!("F{:07}", i + 1));
        assert!(ids.insert(f.id.clone()));
        assert!(!f.name.is_empty() && !f.name.is_ascii());
        let unit = f.category.info().capacity_unit;
        assert_eq!(f.capacity.is_some(), unit.is_some(), "{}", f.category);
        if let Some(cap) = f.capacity {
            assert!(cap > 0.0 && cap.fract() == 0.0, "{cap}");
        }
    }
    // Nursery slots against children 0-3: same order as the national target (4.5 slots per
    // 1,000 residents, i.e. roughly one slot per five children).
    let slots: f64 = c
        .facilities
        .iter()
        .filter(|f| f.category.key() == "nursery")
        .map(|f| f.capacity.unwrap())
        .sum();
    let children: f64 = c.communities.iter().map(|c| c.children_0_3.unwrap()).sum();
    let ratio = slots / children;
    assert!((0.08..0.5).contains(&ratio), "{ratio}");
}

#[test]
fn some_regions_lack_sparse_categories() {
    // Straight-line check: some communities have no nursery within 1.5 km, but nearly all
    // have a convenience store.
    let c = city(100_000, 1);
    let near = |key: &str| {
        let pts: Vec<LonLat> = c
            .facilities
            .iter()
            .filter(|f| f.category.key() == key)
            .map(|f| f.pos)
            .collect();
        c.communities
            .iter()
            .filter(|cm| pts.iter().any(|p| p.haversine_m(cm.pos) <= 1_500.0))
            .count() as f64
            / c.communities.len() as f64
    };
    let nursery = near("nursery");
    let store = near("convenience_store");
    println!("within 1.5 km: nursery {nursery:.3}, convenience store {store:.3}");
    assert!(nursery < 0.9, "{nursery}");
    assert!(store > 0.9, "{store}");
}

#[test]
fn spec_table_covers_the_vocabulary() {
    for info in CATEGORIES {
        let cat = Category::from_key(info.key).unwrap();
        let spec = category_spec(cat);
        assert!(
            facilities::explicit_spec(info.key).is_some(),
            "no explicit spec for {}",
            info.key
        );
        assert_eq!(spec.key, info.key);
        assert_eq!(
            spec.capacity.is_some(),
            info.capacity_unit.is_some(),
            "{}",
            info.key
        );
    }
}

#[test]
fn invalid_parameters_are_rejected() {
    let bad = [
        CityParams::new(10, 1),
        CityParams {
            aspect: 0.0,
            ..Default::default()
        },
        CityParams {
            block_m: (120.0, 80.0),
            ..Default::default()
        },
        CityParams {
            jitter_m: 50.0,
            ..Default::default()
        },
        CityParams {
            facility_density: f64::NAN,
            ..Default::default()
        },
    ];
    for p in bad {
        // In Chinese and English (issue 19 item 5).
        let msg = try_generate(&p).unwrap_err().to_string();
        assert!(
            msg.starts_with("城市参数无效 invalid city parameters: "),
            "{msg}"
        );
        let reason = &msg["城市参数无效 invalid city parameters: ".len()..];
        assert!(
            reason.chars().next().is_some_and(|c| !c.is_ascii()) && reason.contains(" must "),
            "{msg}"
        );
    }
    assert!(CityParams::default().validate().is_ok());
}

/// Measures a 1M-node city. Run with
/// `cargo test --release -p lc-citygen -- --ignored --nocapture million`.
#[test]
#[ignore]
fn million_nodes_timing() {
    let t = std::time::Instant::now();
    let c = city(1_000_000, 1);
    let el = t.elapsed();
    println!(
        "1M: {} nodes, {} edges, {} communities, {} facilities, population {:.0}, in {:.2?}",
        c.network.node_ids.len(),
        c.network.edges.len(),
        c.communities.len(),
        c.facilities.len(),
        c.population(),
        el
    );
    let t = std::time::Instant::now();
    let (g, rep) = Graph::build(
        &c.network,
        BuildOptions {
            keep_largest_component: true,
        },
    )
    .unwrap();
    println!("graph build {:.2?}: {rep:?}", t.elapsed());
    assert!(g.node_count() as f64 >= 0.99 * c.network.node_ids.len() as f64);
}

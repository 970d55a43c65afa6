//! Access against plain Dijkstra on seeded random grid networks: every listed distance must equal
//! the reference within 0.01 m, every facility within reach must be listed (up to k), and the
//! order must be (distance, id). The seed is in every failure message.

mod common;

use lc_access::{compute_access, AccessConfig, Targets};
use lc_model::LonLat;
use lc_network::{Anchor, BuildOptions, Graph, RawEdge, RawNetwork, SnapMode, Snapper};

/// SplitMix64, enough for test data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn grid(rng: &mut Rng, side: usize) -> Graph {
    let step = 0.0009; // ≈ 100 m
    let mut raw = RawNetwork::default();
    for y in 0..side {
        for x in 0..side {
            raw.node_ids.push((y * side + x) as i64 + 4_000_000_000);
            raw.coords.push(LonLat::new(
                116.3 + x as f64 * step + (rng.unit() - 0.5) * step * 0.3,
                39.9 + y as f64 * step + (rng.unit() - 0.5) * step * 0.3,
            ));
        }
    }
    let id = |x: usize, y: usize| (y * side + x) as u32;
    for y in 0..side {
        for x in 0..side {
            for (dx, dy) in [(1, 0), (0, 1)] {
                if x + dx < side && y + dy < side && rng.unit() > 0.15 {
                    let (a, b) = (id(x, y), id(x + dx, y + dy));
                    let straight = raw.coords[a as usize].haversine_m(raw.coords[b as usize]);
                    raw.edges.push(RawEdge {
                        from: a,
                        to: b,
                        length_m: straight * (1.0 + rng.unit() * 0.2),
                    });
                }
            }
            // An occasional diagonal shortcut.
            if x + 1 < side && y + 1 < side && rng.unit() < 0.05 {
                let (a, b) = (id(x, y), id(x + 1, y + 1));
                let straight = raw.coords[a as usize].haversine_m(raw.coords[b as usize]);
                raw.edges.push(RawEdge {
                    from: a,
                    to: b,
                    length_m: straight,
                });
            }
        }
    }
    Graph::build(
        &raw,
        BuildOptions {
            keep_largest_component: true,
        },
    )
    .unwrap()
    .0
}

fn random_points(rng: &mut Rng, side: usize, n: usize) -> Vec<LonLat> {
    let span = 0.0009 * (side - 1) as f64;
    (0..n)
        .map(|_| LonLat::new(116.3 + rng.unit() * span, 39.9 + rng.unit() * span))
        .collect()
}

fn check(seed: u64, mode: SnapMode) {
    let mut rng = Rng(seed);
    let side = 25;
    let graph = grid(&mut rng, side);
    let snapper = Snapper::new(&graph, mode);
    let comm: Vec<Anchor> = snapper.snap_all(&random_points(&mut rng, side, 40));
    let fac_pts = random_points(&mut rng, side, 120);
    let fac: Vec<Anchor> = snapper.snap_all(&fac_pts);
    let n_cat = 3usize;
    let cats: Vec<u16> = (0..fac.len()).map(|i| (i % n_cat) as u16).collect();
    let ids: Vec<String> = (0..fac.len())
        .map(|i| format!("f{:03}", (i * 37) % 1000))
        .collect();
    let mut order: Vec<usize> = (0..fac.len()).collect();
    order.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
    let mut tie = vec![0u32; fac.len()];
    for (r, &i) in order.iter().enumerate() {
        tie[i] = r as u32;
    }
    let targets = Targets::new(
        &graph,
        &fac.iter().copied().map(Some).collect::<Vec<_>>(),
        &cats,
        &tie,
        n_cat,
    );
    let k = 4;
    let max = 900.0;
    let circles = vec![300.0, 600.0];
    let cfg = AccessConfig {
        k,
        max_distance: max,
        circles: circles.clone(),
        catchment: None,
        pair_categories: vec![],
    };
    let res = compute_access(
        &graph,
        &targets,
        &comm.iter().copied().map(Some).collect::<Vec<_>>(),
        &cfg,
        &|_| {},
    );

    // The same run with pairs for categories 0 and 2 within a catchment longer than the
    // distance: the nearest and the counts must not change, and the pairs are checked below.
    let catchment = 1000.0;
    let paired = [true, false, true];
    let with_pairs = compute_access(
        &graph,
        &targets,
        &comm.iter().copied().map(Some).collect::<Vec<_>>(),
        &AccessConfig {
            catchment: Some(catchment),
            pair_categories: paired.to_vec(),
            ..cfg.clone()
        },
        &|_| {},
    );

    let mut pts = comm.clone();
    pts.extend(fac.iter().copied());
    let ex = common::expand(&graph, &pts);
    for (ci, r) in res.iter().enumerate() {
        let dist = common::dijkstra(&ex.adj, ex.point_node[ci]);
        let p = &with_pairs[ci];
        assert_eq!(
            p.nearest, r.nearest,
            "seed {seed} community {ci}: pairs changed nearest"
        );
        assert_eq!(
            p.counts, r.counts,
            "seed {seed} community {ci}: pairs changed counts"
        );
        assert!(r.pairs.is_empty(), "seed {seed}: pairs without a catchment");
        // Pairs: the paired categories in order, each nearest first (ties by id).
        let mut want_pairs: Vec<(usize, f64, &str)> = (0..fac.len())
            .filter(|&f| paired[cats[f] as usize])
            .map(|f| {
                (
                    cats[f] as usize,
                    dist[ex.point_node[comm.len() + f]],
                    ids[f].as_str(),
                )
            })
            .filter(|(_, d, _)| *d <= catchment)
            .collect();
        want_pairs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(b.2)));
        let got_pairs: Vec<(usize, f64, &str)> = p
            .pairs
            .iter()
            .map(|&(f, d)| (cats[f as usize] as usize, d, ids[f as usize].as_str()))
            .collect();
        assert_eq!(
            got_pairs.len(),
            want_pairs.len(),
            "seed {seed} community {ci}: pairs {got_pairs:?} vs {want_pairs:?}"
        );
        for (g, w) in got_pairs.iter().zip(&want_pairs) {
            assert!(
                g.0 == w.0 && g.2 == w.2 && (g.1 - w.1).abs() < 0.01,
                "seed {seed} community {ci}: pairs {got_pairs:?} vs {want_pairs:?}"
            );
        }
        for c in 0..n_cat {
            let mut want: Vec<(f64, &str)> = (0..fac.len())
                .filter(|&f| cats[f] as usize == c)
                .map(|f| (dist[ex.point_node[comm.len() + f]], ids[f].as_str()))
                .filter(|(d, _)| *d <= max)
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
            let got: Vec<(f64, &str)> = r
                .nearest
                .iter()
                .filter(|f| f.category as usize == c)
                .map(|f| (f.distance_m, ids[f.facility as usize].as_str()))
                .collect();
            let expect_len = want.len().min(k);
            assert_eq!(
                got.len(),
                expect_len,
                "seed {seed} community {ci} category {c}: {got:?} vs {want:?}"
            );
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g.0 - w.0).abs() < 0.01,
                    "seed {seed} community {ci} category {c} rank {}: {g:?} vs {w:?}",
                    i + 1
                );
            }
            // Non-decreasing distances, ties by id.
            for w in got.windows(2) {
                assert!(
                    w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1),
                    "seed {seed}: order {got:?}"
                );
            }
            for (i, &radius) in circles.iter().enumerate() {
                let n = want.iter().filter(|(d, _)| *d <= radius - 1e-6).count();
                let n_hi = want.iter().filter(|(d, _)| *d <= radius + 1e-6).count();
                let got_n = r.counts[c * circles.len() + i] as usize;
                assert!(got_n >= n && got_n <= n_hi, "seed {seed} community {ci} category {c} circle {radius}: {got_n} vs {n}..{n_hi}");
            }
        }
    }
}

#[test]
fn edge_snapping_matches_plain_dijkstra_on_random_grids() {
    for seed in 1..=12 {
        check(seed, SnapMode::Edge);
    }
}

#[test]
fn node_snapping_matches_plain_dijkstra_on_random_grids() {
    for seed in 100..=105 {
        check(seed, SnapMode::Node);
    }
}

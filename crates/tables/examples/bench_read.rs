//! Benchmark of `read_network`: writes a synthetic city network to a temporary directory and
//! times reading it back.
//!
//! `cargo run --release -p lc-tables --example bench_read -- [nodes] [--dense] [--shuffle]
//! [--full] [--keep DIR]` (default 1,000,000 nodes on a grid with ~2 edges per node; OSM-like sparse
//! 64-bit ids unless `--dense`; edges in grid order unless `--shuffle`; coordinates rounded
//! to 7 decimals and lengths to 2 unless `--full`). With `--keep DIR`
//! the files are written to DIR and kept; `--read DIR` only reads DIR's files (for profiling).

use std::time::Instant;

use lc_model::LonLat;
use lc_network::{RawEdge, RawNetwork};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let after = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|k| args.get(k + 1))
            .map(std::path::PathBuf::from)
    };
    if let Some(dir) = after("--read") {
        let (np, ep) = (dir.join("nodes.csv"), dir.join("edges.csv"));
        for _ in 0..5 {
            let t = Instant::now();
            let net = lc_tables::read_network(&np, &ep)?;
            println!(
                "read_network: {:.3} s ({} nodes, {} edges)",
                t.elapsed().as_secs_f64(),
                net.node_ids.len(),
                net.edges.len()
            );
        }
        return Ok(());
    }
    let n: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dense = args.iter().any(|a| a == "--dense");
    let shuffle = args.iter().any(|a| a == "--shuffle");
    // Full-precision coordinates and lengths (as computed values are written), not rounded.
    let full = args.iter().any(|a| a == "--full");
    let side = (n as f64).sqrt().ceil() as usize;
    // A small deterministic generator (xorshift) for ids, jitter and shuffling.
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut net = RawNetwork::default();
    let mut id: i64 = 5_000_000_000;
    for k in 0..n {
        let (r, c) = (k / side, k % side);
        id += if dense { 1 } else { 1 + (rnd() % 40) as i64 };
        net.node_ids.push(id);
        let round7 = |x: f64| if full { x } else { (x * 1e7).round() / 1e7 };
        net.coords.push(LonLat::new(
            round7(116.2 + c as f64 * 0.0003 + (rnd() % 100) as f64 / 1.1e6),
            round7(39.8 + r as f64 * 0.0003 + (rnd() % 100) as f64 / 1.1e6),
        ));
        let len = |rnd: &mut dyn FnMut() -> u64| {
            ((25.0 + (rnd() % 1000) as f64 * 0.01) * 100.0).round() / 100.0
        };
        if c + 1 < side && k + 1 < n {
            net.edges.push(RawEdge {
                from: k as u32,
                to: k as u32 + 1,
                length_m: len(&mut rnd),
            });
        }
        if k + side < n {
            net.edges.push(RawEdge {
                from: k as u32,
                to: (k + side) as u32,
                length_m: len(&mut rnd),
            });
        }
    }
    if shuffle {
        for i in (1..net.edges.len()).rev() {
            let j = (rnd() % (i as u64 + 1)) as usize;
            net.edges.swap(i, j);
        }
    }
    let tmp = tempfile::tempdir()?;
    let dir = after("--keep").unwrap_or_else(|| tmp.path().to_path_buf());
    let (np, ep) = (dir.join("nodes.csv"), dir.join("edges.csv"));
    let t = Instant::now();
    lc_tables::write_network(&np, &ep, &net)?;
    let write_s = t.elapsed().as_secs_f64();
    let mb = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1e6);
    println!(
        "{} nodes ({:.1} MB), {} edges ({:.1} MB); ids {}, edges {}, {}; written in {:.3} s",
        net.node_ids.len(),
        mb(&np)?,
        net.edges.len(),
        mb(&ep)?,
        if dense { "dense" } else { "sparse 64-bit" },
        if shuffle { "shuffled" } else { "in grid order" },
        if full {
            "full-precision numbers"
        } else {
            "7-decimal coordinates, 2-decimal lengths"
        },
        write_s
    );
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        let back = lc_tables::read_network(&np, &ep)?;
        let el = t.elapsed().as_secs_f64();
        best = best.min(el);
        assert_eq!(back, net, "round trip differs");
        println!("read_network: {el:.3} s");
    }
    println!("best of 5: {best:.3} s");
    Ok(())
}

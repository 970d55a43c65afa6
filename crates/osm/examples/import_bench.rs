//! Times `read_osm_file` on one or more files and prints the counts (a manual benchmark).
//!
//! `cargo run --release -p lc-osm --example import_bench -- FILE... [--wheelchair] [--runs N]`

use std::path::PathBuf;
use std::time::Instant;

use lc_osm::{read_osm_file, OsmOptions, Profile};

fn main() {
    let mut files = Vec::new();
    let mut opts = OsmOptions::default();
    let mut runs = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--wheelchair" => opts.profile = Profile::Wheelchair,
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(3),
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        eprintln!("usage: import_bench FILE... [--wheelchair] [--runs N]");
        std::process::exit(2);
    }
    for file in &files {
        let mut best = f64::INFINITY;
        let mut last = None;
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            match read_osm_file(file, &opts, None) {
                Ok(x) => last = Some(x),
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::exit(1);
                }
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        let Some(x) = last else { continue };
        let s = &x.stats;
        println!("{}", file.display());
        println!(
            "  best of {runs}: {:.3} s ({} threads)",
            best,
            rayon::current_num_threads()
        );
        println!(
            "  read: {} nodes, {} ways, {} relations, {} blocks",
            s.nodes_read, s.ways_read, s.relations_read, s.blocks
        );
        println!(
            "  highway ways {}, walkable {}, excluded {}",
            s.highway_ways,
            s.walkable_ways,
            s.excluded.total()
        );
        for (r, n) in s.excluded.iter().filter(|(_, n)| *n > 0) {
            println!("    {:<24}{n}", r.as_str());
        }
        println!(
            "  network: {} nodes, {} edges, {:.1} km; {} segments skipped (missing nodes), {} repeated",
            s.network_nodes,
            s.network_edges,
            s.network_length_m / 1000.0,
            s.segments_missing_node,
            s.repeated_node_segments
        );
        println!(
            "  facilities: {} ({} nodes, {} ways; {} relations skipped)",
            x.facilities.len(),
            s.facility_nodes,
            s.facility_ways,
            s.facility_relations_skipped
        );
        for (c, n) in &s.facilities_by_category {
            println!("    {:<28}{n}", c.key());
        }
    }
}

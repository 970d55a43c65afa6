//! `livingcircle access`: nearest facilities, circle counts and capacity ratios for every community.

use crate::args::{positive, AccessArgs};
use crate::network_input::{self, Source};
use crate::points::{self, some_ids};
use crate::progress::{peak_rss_bytes, Progress};
use anyhow::{bail, Context, Result};
use lc_access::CommunityAccess;
use lc_model::{Category, Community, Demand, Facility};
use lc_pipeline::{AccessOptions, FacilityIds, FacilityList};
use rayon::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

pub fn run(a: AccessArgs, progress: Progress) -> Result<()> {
    let t_start = Instant::now();
    let mut timings: BTreeMap<&'static str, f64> = BTreeMap::new();
    if a.k == 0 {
        bail!("--k 至少为 1 --k must be at least 1");
    }
    positive("--max-distance", a.max_distance, "metres")?;
    positive("--catchment", a.catchment, "metres")?;
    a.place.check()?;
    let speed = a.speed.m_per_min()?;
    let circles: Vec<f64> = match (&a.circles, &a.circles_min) {
        (Some(m), _) => m.clone(),
        (None, Some(min)) => min.iter().map(|x| x * speed).collect(),
        (None, None) => vec![300.0, 500.0, 1000.0],
    };
    if let Some(bad) = circles.iter().find(|c| !(c.is_finite() && **c > 0.0)) {
        bail!("圈层半径须为正数，实为 {bad} circle radii must be positive numbers, got {bad}");
    }
    let source = a.network.source()?;
    let mut inputs = a.network.inputs();
    inputs.push(("--communities", Some(a.communities.as_path())));
    inputs.push(("--facilities", a.facilities.as_deref()));
    crate::args::check_paths(
        &inputs,
        &[
            ("--out", Some(a.out.as_path())),
            ("--counts", a.counts.as_deref()),
            ("--capacity", a.capacity.as_deref()),
            ("--geojson", a.geojson.as_deref()),
            ("--summary-json", a.summary_json.as_deref()),
        ],
    )?;
    if a.facilities.is_none() && !matches!(source, Source::Osm(_)) {
        bail!(crate::args::FACILITIES_NEEDED);
    }

    // Points first: a bad file fails fast, before the network is loaded.
    let t = Instant::now();
    let crs = a.place.crs();
    let mut reads = points::Reads::new();
    let communities = reads.take(lc_tables::read_communities(&a.communities, crs));
    // Outputs name facilities by id only: their names are not kept. The records become
    // columns part by part as read: a province's 5.7M records (about 0.9 GB) would otherwise be
    // held (and copied once more) while the network is read and built.
    let parts: Vec<Vec<Facility>> = match &a.facilities {
        Some(p) => reads.take(lc_tables::read_facilities_in_parts(p, crs, false)),
        None => Vec::new(),
    };
    reads.finish()?;
    let mut facilities = FacilityList::with_capacity(
        parts.iter().map(Vec::len).sum(),
        lc_pipeline::Detail::Access,
    );
    for part in parts {
        facilities.extend(part);
    }
    let what = ("社区", "community");
    points::require_points(&a.communities, what, communities.len(), 0, 0.0, "compute")?;
    timings.insert("read_points", t.elapsed().as_secs_f64());

    let loaded = network_input::load(
        &source,
        &a.network
            .load_options(a.facilities.is_none() || a.with_osm_facilities),
        &progress,
    )?;
    timings.extend(loaded.timings.iter());
    let graph = &loaded.graph;
    let facilities_from_osm = a.facilities.is_none() || a.with_osm_facilities;
    if facilities_from_osm {
        facilities.extend(points::from_osm(&loaded.osm_facilities));
    }

    // Categories: the chosen ones, or (None) those present.
    let categories = match &a.categories {
        Some(keys) => {
            let mut v = Vec::new();
            for k in keys {
                v.push(Category::from_key(k).context("--categories 中 in --categories")?);
            }
            Some(v)
        }
        None => None,
    };
    let run = lc_pipeline::run_access(
        graph,
        &communities,
        facilities,
        &AccessOptions {
            k: a.k,
            max_distance: a.max_distance,
            circles: circles.clone(),
            capacity_catchment: a.capacity.is_some().then_some(a.catchment),
            categories,
            snap: a.place.snap_mode(),
            snap_limit: a.place.snap_limit,
            communities_file: a.communities.clone(),
        },
        &progress.observer(),
    )?;
    timings.extend(run.timings.iter());
    let (selected, facilities, results) = (&run.selected, &run.facilities, &run.results);
    let (placed_c, placed_f) = (&run.communities_placed, &run.facilities_placed);

    // Outputs.
    let t = Instant::now();
    let rows = write_access(
        &a.out,
        &communities,
        facilities,
        selected,
        results,
        a.with_minutes.then_some(speed),
    )?;
    if let Some(path) = &a.counts {
        write_counts(path, &communities, selected, &circles, results)?;
    }
    let mut capacity_rows = 0;
    if let Some(path) = &a.capacity {
        capacity_rows = write_capacity(path, &communities, &run, a.catchment)?;
    }
    if let Some(path) = &a.geojson {
        write_geojson(path, &communities, &placed_c.anchors, selected, results)?;
    }
    timings.insert("write", t.elapsed().as_secs_f64());
    let total = t_start.elapsed().as_secs_f64();
    timings.insert("total", total);

    // Summary. A community off the network reaches nothing: it counts among those with nothing
    // within reach, never silently dropped.
    let nothing: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.nearest.is_empty())
        .map(|(i, _)| i)
        .collect();
    let missing_some: usize = results
        .iter()
        .filter(|r| distinct_categories(r) < selected.len())
        .count();
    let rss = peak_rss_bytes();
    let cid = |i: usize| communities[i].id.as_str();
    let fid = |i: usize| facilities.id(i);
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(s, "livingcircle access — 完成 done in {total:.2} s");
    match &loaded.report {
        Some(r) => {
            let _ = writeln!(
                s,
                "  路网 network   {} nodes, {} edges from {}{}",
                r.nodes,
                r.edges,
                network_input::source_label(&source),
                if a.network.keep_all_components {
                    format!(" ({} components kept)", r.components)
                } else if r.components > 1 {
                    format!(
                        " (largest of {} components; dropped {} nodes and {} edges)",
                        r.components, r.dropped_nodes, r.dropped_edges
                    )
                } else {
                    String::new()
                }
            );
            if r.isolated_nodes > 0 || r.self_loops > 0 {
                let _ = writeln!(
                    s,
                    "                 left out: {} nodes without any edge, {} edges from a node to itself",
                    r.isolated_nodes, r.self_loops
                );
            }
        }
        None => {
            let _ = writeln!(
                s,
                "  路网 network   {} nodes, {} edges (from cache {})",
                graph.node_count(),
                graph.edge_count(),
                loaded
                    .from_cache
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
        }
    }
    let _ = writeln!(
        s,
        "  社区 communities {} read, {} placed on the network (median {:.0} m away), {} too far (> {} m){}",
        communities.len(),
        communities.len() - placed_c.too_far.len(),
        placed_c.median_snap_m,
        placed_c.too_far.len(),
        a.place.snap_limit,
        if placed_c.too_far.is_empty() { String::new() } else { format!(": {}", some_ids(&placed_c.too_far, cid, 5)) }
    );
    let _ = writeln!(
        s,
        "  设施 facilities {} in {}{}, {} placed, {} too far{}",
        facilities.len(),
        lc_model::count(selected.len(), "category"),
        match (facilities_from_osm, a.facilities.is_some()) {
            (true, false) => " (from OSM tags)",
            (true, true) => " (the file's and OSM tags')",
            _ => "",
        },
        facilities.len() - placed_f.too_far.len(),
        placed_f.too_far.len(),
        if placed_f.too_far.is_empty() {
            String::new()
        } else {
            format!(": {}", some_ids(&placed_f.too_far, fid, 5))
        }
    );
    let _ = writeln!(
        s,
        "  可达 reach      {} with nothing within {} m{}{}; {} lack at least one category",
        lc_model::count(nothing.len(), "community"),
        a.max_distance,
        if placed_c.too_far.is_empty() {
            String::new()
        } else {
            format!(
                " ({} of them not on the network 不在路网上)",
                placed_c.too_far.len()
            )
        },
        if nothing.is_empty() {
            String::new()
        } else {
            format!(": {}", some_ids(&nothing, cid, 5))
        },
        missing_some
    );
    let _ = writeln!(
        s,
        "  输出 output     {} ({rows} rows)",
        crate::shown::shown(&a.out)
    );
    for (p, what) in [(&a.counts, "counts"), (&a.geojson, "GeoJSON")] {
        if let Some(p) = p {
            let _ = writeln!(s, "                  {} ({what})", crate::shown::shown(p));
        }
    }
    if let Some(p) = &a.capacity {
        let _ = writeln!(
            s,
            "                  {} (2SFCA, {capacity_rows} rows)",
            crate::shown::shown(p)
        );
    }
    if let Some(r) = rss {
        let _ = writeln!(s, "  内存 peak memory {:.0} MB", r as f64 / 1e6);
    }
    eprint!("{s}");

    if let Some(path) = &a.summary_json {
        let summary = json!({
            "command": "access",
            "network": {
                "source": network_input::source_label(&source),
                "nodes": graph.node_count(),
                "edges": graph.edge_count(),
                "from_cache": loaded.from_cache.is_some(),
                "components": loaded.report.as_ref().map(|r| r.components),
                "dropped_nodes": loaded.report.as_ref().map(|r| r.dropped_nodes),
                "dropped_edges": loaded.report.as_ref().map(|r| r.dropped_edges),
                "isolated_nodes": loaded.report.as_ref().map(|r| r.isolated_nodes),
                "self_loops": loaded.report.as_ref().map(|r| r.self_loops),
            },
            "communities": {
                "read": communities.len(),
                "placed": communities.len() - placed_c.too_far.len(),
                "too_far": placed_c.too_far.iter().map(|&i| cid(i)).collect::<Vec<_>>(),
                "nothing_within_reach": nothing.iter().map(|&i| cid(i)).collect::<Vec<_>>(),
                "median_snap_m": placed_c.median_snap_m,
            },
            "facilities": {
                "read": facilities.len(),
                "from_osm": facilities_from_osm,
                "placed": facilities.len() - placed_f.too_far.len(),
                "too_far": placed_f.too_far.iter().map(|&i| fid(i)).collect::<Vec<_>>(),
            },
            "categories": selected.iter().map(|c| c.key()).collect::<Vec<_>>(),
            "k": a.k,
            "max_distance_m": a.max_distance,
            "circles_m": circles,
            "snap": format!("{:?}", a.place.snap).to_lowercase(),
            "rows": rows,
            "timings": timings,
            "peak_rss_bytes": rss,
        });
        let text = serde_json::to_string_pretty(&summary)?;
        lc_tables::write_atomic(path, |w| w.write_all(text.as_bytes()))?;
    }
    Ok(())
}

fn distinct_categories(r: &CommunityAccess) -> usize {
    let mut n = 0;
    let mut last = u16::MAX;
    for f in &r.nearest {
        if f.category != last {
            n += 1;
            last = f.category;
        }
    }
    n
}

/// A CSV field as written: quoted (inner quotes doubled) when it holds a comma, a quote or a
/// line break, as it is otherwise.
fn quoted(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Appends a CSV field, quoted when it needs it.
pub(crate) fn field(out: &mut String, s: &str) {
    out.push_str(&quoted(s));
}

pub(crate) fn write_access(
    path: &Path,
    communities: &[Community],
    facilities: &(impl FacilityIds + ?Sized),
    selected: &[Category],
    results: &[CommunityAccess],
    minutes: Option<f64>,
) -> Result<usize> {
    // Rows are formatted in parallel chunks of 512 communities, a window of chunks at a time;
    // while one window is written the next is formatted, into buffers that are kept from
    // window to window (the text of 18M rows, a province, is never in memory at once, and no
    // fresh memory is asked of the system per window).
    const CHUNK: usize = 512;
    const WINDOW: usize = CHUNK * 32;
    let format = |first: usize, chunk: &[CommunityAccess], s: &mut Vec<u8>| -> usize {
        s.clear();
        let mut rows = 0;
        let mut num = itoa::Buffer::new();
        for (j, r) in chunk.iter().enumerate() {
            if r.nearest.is_empty() {
                continue;
            }
            let cid = quoted(&communities[first + j].id);
            for f in &r.nearest {
                s.extend_from_slice(cid.as_bytes());
                s.push(b',');
                s.extend_from_slice(selected[f.category as usize].key().as_bytes());
                s.push(b',');
                s.extend_from_slice(num.format(f.rank).as_bytes());
                s.push(b',');
                s.extend_from_slice(quoted(facilities.facility_id(f.facility as usize)).as_bytes());
                push_metres(s, &mut num, f.distance_m);
                if let Some(speed) = minutes {
                    use std::io::Write as _;
                    let _ = write!(s, ",{:.2}", f.distance_m / speed);
                }
                s.push(b'\n');
                rows += 1;
            }
        }
        rows
    };
    let header = if minutes.is_some() {
        "community_id,category,rank,facility_id,distance_m,walk_min\n"
    } else {
        "community_id,category,rank,facility_id,distance_m\n"
    };
    let n_chunks = WINDOW / CHUNK;
    let mut ready: Vec<(Vec<u8>, usize)> = vec![(Vec::new(), 0); n_chunks];
    let mut next: Vec<(Vec<u8>, usize)> = vec![(Vec::new(), 0); n_chunks];
    let mut rows = 0;
    lc_tables::write_atomic(path, |w| {
        w.write_all(header.as_bytes())?;
        let fill = |bufs: &mut [(Vec<u8>, usize)], wi: usize, window: &[CommunityAccess]| {
            bufs.par_iter_mut()
                .zip(window.par_chunks(CHUNK))
                .enumerate()
                .for_each(|(ci, ((buf, n), chunk))| {
                    *n = format(wi * WINDOW + ci * CHUNK, chunk, buf);
                });
            window.len().div_ceil(CHUNK)
        };
        let mut windows = results.chunks(WINDOW).enumerate();
        let Some((wi, first)) = windows.next() else {
            return Ok(());
        };
        let mut filled = fill(&mut ready, wi, first);
        loop {
            let upcoming = windows.next();
            // The next window is formatted on the pool (from a helper thread) while this
            // thread writes the one ready (the output writer stays on this thread).
            let (written, next_filled) = std::thread::scope(|sc| {
                let next = &mut next;
                let fill = &fill;
                let formatting =
                    sc.spawn(move || upcoming.map(|(wi, window)| fill(next, wi, window)));
                let mut written = 0;
                let res = ready[..filled].iter().try_for_each(|(buf, r)| {
                    written += r;
                    w.write_all(buf)
                });
                let next_filled = formatting.join().expect("formatting the access rows");
                (res.map(|()| written), next_filled)
            });
            rows += written?;
            match next_filled {
                Some(n) => {
                    std::mem::swap(&mut ready, &mut next);
                    filled = n;
                }
                None => break,
            }
        }
        Ok(())
    })?;
    Ok(rows)
}

/// Appends `,<metres with 3 decimals>` using integer formatting (much faster than `{:.3}`).
fn push_metres(s: &mut Vec<u8>, num: &mut itoa::Buffer, d: f64) {
    let mm = (d * 1000.0).round() as u64;
    s.push(b',');
    s.extend_from_slice(num.format(mm / 1000).as_bytes());
    let frac = mm % 1000;
    s.push(b'.');
    s.push(b'0' + (frac / 100) as u8);
    s.push(b'0' + (frac / 10 % 10) as u8);
    s.push(b'0' + (frac % 10) as u8);
}

fn circle_label(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("within_{}", r as i64)
    } else {
        format!("within_{r}")
    }
}

pub(crate) fn write_counts(
    path: &Path,
    communities: &[Community],
    selected: &[Category],
    circles: &[f64],
    results: &[CommunityAccess],
) -> Result<()> {
    use std::fmt::Write as _;
    let mut s = String::from("community_id,category");
    for &r in circles {
        let _ = write!(s, ",{}", circle_label(r));
    }
    s.push('\n');
    let nc = circles.len();
    for (c, r) in communities.iter().zip(results) {
        for (ci, cat) in selected.iter().enumerate() {
            field(&mut s, &c.id);
            let _ = write!(s, ",{}", cat.key());
            for i in 0..nc {
                let _ = write!(s, ",{}", r.counts.get(ci * nc + i).copied().unwrap_or(0));
            }
            s.push('\n');
        }
    }
    lc_tables::write_atomic(path, |w| w.write_all(s.as_bytes())).map_err(anyhow::Error::from)
}

fn demand_label(d: Demand, specific: bool) -> &'static str {
    match (d, specific) {
        (Demand::Population, _) => "population",
        (Demand::Children0To3, true) => "children_0_3",
        (Demand::Elderly, true) => "elderly",
        (_, false) => "population (fallback)",
    }
}

fn write_capacity(
    path: &Path,
    communities: &[Community],
    run: &lc_pipeline::AccessRun,
    catchment: f64,
) -> Result<usize> {
    let tsf = run.capacity_ratios(communities);
    write_capacity_rows(
        path,
        communities,
        &run.selected,
        &run.capacity_categories,
        &tsf,
        catchment,
    )
}

/// The capacity rows (2SFCA) of `communities` × the `selected` categories marked in
/// `capacity_cats`, from their ratios `tsf` (one slot per community × selected category): a
/// whole run's, or a part's (`livingcircle partition`), in the same bytes.
pub(crate) fn write_capacity_rows(
    path: &Path,
    communities: &[Community],
    selected: &[Category],
    capacity_cats: &[bool],
    tsf: &lc_access::TwoStep,
    catchment: f64,
) -> Result<usize> {
    use std::fmt::Write as _;
    let mut s = String::from(
        "community_id,category,catchment_m,demand_group,demand,facilities_in_catchment,capacity_in_catchment,ratio_per_1000\n",
    );
    let mut rows = 0;
    for (i, c) in communities.iter().enumerate() {
        for (ci, cat) in selected.iter().enumerate() {
            if !capacity_cats[ci] {
                continue;
            }
            let (demand, specific) = c.demand(cat.info().demand);
            let slot = i * selected.len() + ci;
            field(&mut s, &c.id);
            let _ = writeln!(
                s,
                ",{},{},{},{},{},{},{:.4}",
                cat.key(),
                catchment,
                demand_label(cat.info().demand, specific),
                demand,
                tsf.facilities[slot],
                tsf.supply[slot],
                tsf.ratio[slot] * 1000.0
            );
            rows += 1;
        }
    }
    lc_tables::write_atomic(path, |w| w.write_all(s.as_bytes()))?;
    Ok(rows)
}

fn write_geojson(
    path: &Path,
    communities: &[Community],
    anchors: &[Option<lc_network::Anchor>],
    selected: &[Category],
    results: &[CommunityAccess],
) -> Result<()> {
    let features: Vec<serde_json::Value> = communities
        .iter()
        .zip(results)
        .zip(anchors)
        .map(|((c, r), a)| {
            let mut props = serde_json::Map::new();
            props.insert("id".into(), json!(c.id));
            props.insert("name".into(), json!(c.name));
            props.insert("population".into(), json!(c.population));
            props.insert("placed".into(), json!(a.is_some()));
            props.insert(
                "snap_m".into(),
                json!(a.map(|a| (a.snap_m * 10.0).round() / 10.0)),
            );
            let mut reached = 0;
            for (ci, cat) in selected.iter().enumerate() {
                let d = r
                    .nearest
                    .iter()
                    .find(|f| f.category as usize == ci && f.rank == 1)
                    .map(|f| (f.distance_m * 10.0).round() / 10.0);
                if d.is_some() {
                    reached += 1;
                }
                props.insert(format!("nearest_{}", cat.key()), json!(d));
            }
            props.insert("categories_reached".into(), json!(reached));
            props.insert("categories_total".into(), json!(selected.len()));
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.pos.lon, c.pos.lat]},
                "properties": props,
            })
        })
        .collect();
    let doc = json!({
        "type": "FeatureCollection",
        "features": features,
    });
    let text = serde_json::to_string(&doc)?;
    lc_tables::write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(anyhow::Error::from)
}

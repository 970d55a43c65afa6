//! `livingcircle isochrone`: areas reachable on foot within 5/10/15 minutes, as GeoJSON.

use crate::args::{positive, IsochroneArgs};
use crate::network_input;
use crate::points::place;
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use lc_access::isochrone::{isochrones, IsochroneOptions};
use lc_access::Search;
use lc_model::LonLat;
use lc_network::Snapper;
use rayon::prelude::*;
use serde_json::json;
use std::time::Instant;

pub fn run(a: IsochroneArgs, progress: Progress) -> Result<()> {
    let t0 = Instant::now();
    let speed = a.speed.m_per_min()?;
    if let Some(bad) = a.minutes.iter().find(|m| !(m.is_finite() && **m > 0.0)) {
        bail!("--minutes 须为正数，实为 {bad} --minutes must be positive, got {bad}");
    }
    positive("--buffer", a.buffer, "metres")?;
    let mut inputs = a.network.inputs();
    inputs.push(("--communities", a.communities.as_deref()));
    crate::args::check_paths(&inputs, &[("--out", Some(a.out.as_path()))])?;
    // Start points: (id, name, position).
    let mut starts: Vec<(String, String, LonLat)> = Vec::new();
    if let Some(path) = &a.communities {
        let communities = lc_tables::read_communities(path, a.place.crs())?;
        for c in communities {
            if a.ids.as_ref().is_none_or(|ids| ids.contains(&c.id)) {
                starts.push((c.id, c.name, c.pos));
            }
        }
        if let Some(ids) = &a.ids {
            for id in ids {
                if !starts.iter().any(|s| &s.0 == id) {
                    bail!(
                        "--ids: 社区 {0} 不在 {1} 中 community {0} is not in {1}",
                        lc_model::quote(id),
                        path.display()
                    );
                }
            }
        }
    }
    for (i, p) in a.point.iter().enumerate() {
        let pos = parse_point(p).with_context(|| format!("--point {}", lc_model::quote(p)))?;
        let pos = lc_crs::to_wgs84(a.place.crs(), pos);
        starts.push((format!("point{}", i + 1), String::new(), pos));
    }
    if starts.is_empty() {
        bail!("没有起点：请给出 --communities FILE（可加 --ids）或 --point LON,LAT no start points: give --communities FILE (optionally --ids) or --point LON,LAT");
    }
    a.place.check()?;
    let source = a.network.source()?;
    let loaded = network_input::load(&source, &a.network.load_options(false), &progress)?;
    let graph = &loaded.graph;
    let snapper = Snapper::new(graph, a.place.snap_mode());
    let pts: Vec<LonLat> = starts.iter().map(|s| s.2).collect();
    let placed = place(&snapper, &pts, a.place.snap_limit);
    let opts = IsochroneOptions {
        limits: a.minutes.iter().map(|m| m * speed).collect(),
        buffer_m: a.buffer,
    };
    let bar = progress.bar(starts.len() as u64, "等时圈 Isochrones");
    let per_start: Vec<Vec<serde_json::Value>> = placed
        .anchors
        .par_iter()
        .enumerate()
        .map_init(
            || Search::new(graph.node_count()),
            |search, (i, anchor)| {
                bar.inc(1);
                let Some(anchor) = anchor else {
                    return Vec::new();
                };
                let (id, name, _) = &starts[i];
                isochrones(graph, search, anchor, &opts)
                    .into_iter()
                    .map(|iso| {
                        let geom = geo_to_geojson(&iso.area);
                        json!({
                            "type": "Feature",
                            "geometry": geom,
                            "properties": {
                                "start_id": id,
                                "start_name": name,
                                "minutes": iso.limit_m / speed,
                                "distance_m": iso.limit_m,
                                "speed_m_per_min": speed,
                                "street_length_m": (iso.street_length_m * 10.0).round() / 10.0,
                                "nodes_reached": iso.nodes,
                            }
                        })
                    })
                    .collect()
            },
        )
        .collect();
    bar.finish_and_clear();
    let features: Vec<serde_json::Value> = per_start.into_iter().flatten().collect();
    let n = features.len();
    let doc = json!({"type": "FeatureCollection", "features": features});
    let text = serde_json::to_string(&doc)?;
    lc_tables::write_atomic(&a.out, |w| w.write_all(text.as_bytes()))?;
    let skipped: Vec<&str> = placed
        .too_far
        .iter()
        .map(|&i| starts[i].0.as_str())
        .collect();
    let placed_n = starts.len() - skipped.len();
    let too_far = if skipped.is_empty() {
        String::new()
    } else {
        format!(
            "\n  {n_far} 个起点离路网太远（> {limit} m）{far} too far from the network (> {limit} m): {ids}",
            n_far = skipped.len(),
            limit = a.place.snap_limit,
            far = lc_model::count(skipped.len(), "start point"),
            ids = skipped.join(", ")
        )
    };
    eprintln!(
        "livingcircle isochrone — 完成 done in {secs:.2} s\n  {n} 个等时圈，{placed_n} 个起点，写入 {out} \
         {polygons} for {points} written to {out}{too_far}",
        secs = t0.elapsed().as_secs_f64(),
        out = crate::shown::shown(&a.out),
        polygons = lc_model::count(n, "polygon"),
        points = lc_model::count(placed_n, "start point"),
    );
    Ok(())
}

fn parse_point(s: &str) -> Result<LonLat> {
    let (lon, lat) = s
        .split_once(',')
        .context("应为 经度,纬度 expected LON,LAT")?;
    let lon: f64 = lon
        .trim()
        .parse()
        .context("经度不是数字 longitude is not a number")?;
    let lat: f64 = lat
        .trim()
        .parse()
        .context("纬度不是数字 latitude is not a number")?;
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        bail!("坐标超出范围（经度 -180 至 180，纬度 -90 至 90）coordinates out of range");
    }
    Ok(LonLat::new(lon, lat))
}

fn ring(r: &geo::LineString<f64>) -> Vec<[f64; 2]> {
    r.0.iter().map(|c| [c.x, c.y]).collect()
}

fn geo_to_geojson(mp: &geo::MultiPolygon<f64>) -> serde_json::Value {
    let polys: Vec<Vec<Vec<[f64; 2]>>> =
        mp.0.iter()
            .map(|p| {
                let mut rings = vec![ring(p.exterior())];
                rings.extend(p.interiors().iter().map(ring));
                rings
            })
            .collect();
    json!({"type": "MultiPolygon", "coordinates": polys})
}

//! `communities.geojson`: every community as a point with its status.

use crate::Report;
use serde_json::{json, Map, Value};

/// The communities layer: id, name, division, population, requirements met and missed, rank.
pub fn communities_geojson(r: &Report) -> String {
    let a = r.assessment;
    let ranks = r.ranks();
    let features: Vec<Value> = r
        .communities
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = &a.status[i];
            let missing: Vec<String> = r
                .missing(i)
                .into_iter()
                .map(|ri| {
                    let (st, req) = r.requirement(ri);
                    format!("{}/{}", st.id, req.id)
                })
                .collect();
            let mut p = Map::new();
            p.insert("id".into(), json!(c.id));
            p.insert("name".into(), json!(c.name));
            p.insert("division_code".into(), json!(c.division_code));
            p.insert(
                "division_name".into(),
                json!(r.division_name(c.division_code.as_deref())),
            );
            p.insert("population".into(), json!(c.population));
            p.insert("placed".into(), json!(s.placed));
            p.insert("required".into(), json!(s.required));
            p.insert("met".into(), json!(s.met));
            p.insert("short_required".into(), json!(s.short_required));
            p.insert("short_recommended".into(), json!(s.short_recommended));
            p.insert("not_computable".into(), json!(s.not_computable));
            p.insert(
                "share_met".into(),
                json!(s.share_met().map(|x| (x * 1000.0).round() / 1000.0)),
            );
            p.insert("person_shortcomings".into(), json!(s.score));
            p.insert("rank".into(), json!(ranks[i]));
            p.insert("missing".into(), json!(missing));
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.pos.lon, c.pos.lat]},
                "properties": p,
            })
        })
        .collect();
    serde_json::to_string(&json!({"type": "FeatureCollection", "features": features}))
        .unwrap_or_default()
}

//! `communities.geojson`: every community as a point with its status.

use crate::csv_out::Sink;
use crate::Report;
use std::fmt::Write as _;
use std::io;

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".into()
    }
}

/// The communities layer: id, name, division, population, requirements met and missed, rank,
/// written to `out` as it is rendered (one feature per line).
pub fn write_communities_geojson(r: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let a = r.assessment;
    let ranks = r.ranks();
    let mut sink = Sink::new(out);
    sink.buf
        .push_str("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, c) in r.communities.iter().enumerate() {
        let s = &a.status[i];
        let missing: Vec<String> = r
            .missing(i)
            .into_iter()
            .map(|ri| {
                let (st, req) = r.requirement(ri);
                js(&format!("{}/{}", st.id, req.id))
            })
            .collect();
        if i > 0 {
            sink.buf.push_str(",\n");
        }
        let _ = write!(
            sink.buf,
            "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{},{}]}},\"properties\":{{\"id\":{},\"name\":{},\"division_code\":{},\"division_name\":{},\"population\":{},\"placed\":{},\"required\":{},\"met\":{},\"short_required\":{},\"short_recommended\":{},\"not_computable\":{},\"share_met\":{},\"person_shortcomings\":{},\"rank\":{},\"missing\":[{}]}}}}",
            num(c.pos.lon),
            num(c.pos.lat),
            js(&c.id),
            js(&c.name),
            c.division_code.as_deref().map(js).unwrap_or_else(|| "null".into()),
            js(&r.division_name(c.division_code.as_deref())),
            num(c.population),
            s.placed,
            s.required,
            s.met,
            s.short_required,
            s.short_recommended,
            s.not_computable,
            s.share_met()
                .map(|x| num((x * 1000.0).round() / 1000.0))
                .unwrap_or_else(|| "null".into()),
            num(s.score),
            ranks[i],
            missing.join(",")
        );
        sink.row_done()?;
    }
    sink.buf.push_str("\n]}\n");
    sink.finish()
}

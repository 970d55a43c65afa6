//! `communities.geojson`: every community as a point with its status.

use crate::csv_out::{push_shortest, Sink};
use crate::Report;
use std::fmt::Write as _;
use std::io;

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Appends a JSON number as `{}` writes it, or `null` when it is not finite.
fn num(out: &mut String, x: f64) {
    if x.is_finite() {
        push_shortest(out, x);
    } else {
        out.push_str("null");
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
    // Each requirement's key ("standard/requirement") as a JSON string, rendered once: a
    // province lists 4.7 million missing requirements.
    let keys: Vec<String> = (0..a.requirements.len())
        .map(|ri| {
            let (st, req) = r.requirement(ri);
            js(&format!("{}/{}", st.id, req.id))
        })
        .collect();
    for (i, c) in r.communities.iter().enumerate() {
        let s = &a.status[i];
        let b = &mut sink.buf;
        if i > 0 {
            b.push_str(",\n");
        }
        b.push_str("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
        num(b, c.pos.lon);
        b.push(',');
        num(b, c.pos.lat);
        let _ = write!(
            b,
            "]}},\"properties\":{{\"id\":{},\"name\":{},\"division_code\":{},\"division_name\":{},\"population\":",
            js(&c.id),
            js(&c.name),
            c.division_code.as_deref().map(js).unwrap_or_else(|| "null".into()),
            js(&r.division_name(c.division_code.as_deref())),
        );
        num(b, c.population);
        let _ = write!(
            b,
            ",\"placed\":{},\"required\":{},\"met\":{},\"short_required\":{},\"short_recommended\":{},\"not_computable\":{},\"share_met\":",
            s.placed,
            s.required,
            s.met,
            s.short_required,
            s.short_recommended,
            s.not_computable,
        );
        match s.share_met() {
            Some(x) => num(b, (x * 1000.0).round() / 1000.0),
            None => b.push_str("null"),
        }
        b.push_str(",\"person_shortcomings\":");
        num(b, s.score);
        let _ = write!(b, ",\"rank\":{},\"missing\":[", ranks[i]);
        for (k, ri) in r.missing(i).into_iter().enumerate() {
            if k > 0 {
                b.push(',');
            }
            b.push_str(&keys[ri]);
        }
        b.push_str("]}}");
        sink.row_done()?;
    }
    sink.buf.push_str("\n]}\n");
    sink.finish()
}

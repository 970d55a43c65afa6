//! Isochrones: the area reachable on foot within a distance, as polygons.
//!
//! The reachable part of the network is collected edge by edge (whole edges, and the reachable
//! stretch of edges at the boundary), then buffered by half a street's walkable width and
//! merged into one multipolygon per limit. Work happens in a local metric projection around
//! the source; results are WGS-84 longitude/latitude.

use crate::Search;
use geo::{Buffer, Coord, LineString, MultiLineString, MultiPolygon};
use lc_model::LonLat;
use lc_network::{Anchor, Graph, NO_EDGE};

/// Options of [`isochrones`].
#[derive(Debug, Clone)]
pub struct IsochroneOptions {
    /// Network distances in metres, e.g. 300, 600, 900 for 5/10/15 minutes at 60 m/min.
    pub limits: Vec<f64>,
    /// Metres either side of a reachable street that count as reached (default 50).
    pub buffer_m: f64,
}

/// One isochrone.
#[derive(Debug, Clone)]
pub struct Isochrone {
    /// Network distance limit, metres.
    pub limit_m: f64,
    /// The reachable area (WGS-84).
    pub area: MultiPolygon<f64>,
    /// Length of street reachable, metres.
    pub street_length_m: f64,
    /// Nodes reachable.
    pub nodes: usize,
}

struct Local {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Local {
    fn new(at: LonLat) -> Local {
        let ky = 111_194.93;
        Local {
            lon0: at.lon,
            lat0: at.lat,
            kx: ky * at.lat.to_radians().cos(),
            ky,
        }
    }
    fn fwd(&self, p: LonLat) -> Coord<f64> {
        Coord {
            x: (p.lon - self.lon0) * self.kx,
            y: (p.lat - self.lat0) * self.ky,
        }
    }
    fn inv(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x / self.kx + self.lon0,
            y: c.y / self.ky + self.lat0,
        }
    }
}

/// Computes nested isochrones from one anchor, smallest limit first.
pub fn isochrones(
    graph: &Graph,
    search: &mut Search,
    source: &Anchor,
    opts: &IsochroneOptions,
) -> Vec<Isochrone> {
    let mut limits = opts.limits.clone();
    limits.sort_by(|a, b| a.total_cmp(b));
    let max = limits.last().copied().unwrap_or(0.0);
    let mut settled: Vec<(u32, f64)> = Vec::new();
    search.run(graph, source, max, |x, d| {
        settled.push((x, d));
        true
    });
    let local = Local::new(source.pos);
    limits
        .iter()
        .map(|&limit| {
            let (lines, length, nodes) =
                reachable_lines(graph, search, source, &settled, limit, &local);
            let area = if lines.0.is_empty() {
                // Nothing but the source point: a disc of the buffer width.
                let p = LineString::new(vec![Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 }]);
                MultiLineString::new(vec![p]).buffer(opts.buffer_m)
            } else {
                lines.buffer(opts.buffer_m)
            };
            let area = MultiPolygon::new(
                area.0
                    .into_iter()
                    .map(|poly| {
                        let (ext, ints) = poly.into_inner();
                        geo::Polygon::new(
                            ext.0.into_iter().map(|c| local.inv(c)).collect(),
                            ints.into_iter()
                                .map(|r| r.0.into_iter().map(|c| local.inv(c)).collect())
                                .collect(),
                        )
                    })
                    .collect(),
            );
            Isochrone {
                limit_m: limit,
                area,
                street_length_m: length,
                nodes,
            }
        })
        .collect()
}

fn reachable_lines(
    graph: &Graph,
    search: &Search,
    source: &Anchor,
    settled: &[(u32, f64)],
    limit: f64,
    local: &Local,
) -> (MultiLineString<f64>, f64, usize) {
    let mut lines = Vec::new();
    let mut length = 0.0;
    let mut nodes = 0;
    let point_on = |a: LonLat, b: LonLat, t: f64| -> Coord<f64> {
        let (pa, pb) = (local.fwd(a), local.fwd(b));
        Coord {
            x: pa.x + (pb.x - pa.x) * t,
            y: pa.y + (pb.y - pa.y) * t,
        }
    };
    for &(x, dx) in settled {
        if dx > limit {
            continue;
        }
        nodes += 1;
        let rx = limit - dx;
        for (y, len) in graph.neighbours(x) {
            let dy = search.distance(y);
            let ry = if dy <= limit { limit - dy } else { -1.0 };
            let (cx, cy) = (graph.coord(x), graph.coord(y));
            if ry >= 0.0 && rx + ry >= len {
                // Whole edge reachable: draw it once, from its lower-numbered end.
                if x < y {
                    lines.push(LineString::new(vec![local.fwd(cx), local.fwd(cy)]));
                    length += len;
                }
            } else {
                let t = if len > 0.0 { (rx / len).min(1.0) } else { 1.0 };
                lines.push(LineString::new(vec![local.fwd(cx), point_on(cx, cy, t)]));
                length += t * len;
            }
        }
    }
    // The source's own edge: the stretch reachable directly from the source position.
    if source.edge != NO_EDGE {
        let e = graph.edges()[source.edge as usize];
        let (cu, cv) = (graph.coord(e.u), graph.coord(e.v));
        if e.len > 0.0 {
            let ts = source.du / e.len;
            let lo = ((source.du - limit) / e.len).max(0.0);
            let hi = ((source.du + limit) / e.len).min(1.0);
            if hi > lo {
                lines.push(LineString::new(vec![
                    point_on(cu, cv, lo),
                    point_on(cu, cv, ts.clamp(lo, hi)),
                    point_on(cu, cv, hi),
                ]));
            }
        }
    }
    (MultiLineString::new(lines), length, nodes)
}

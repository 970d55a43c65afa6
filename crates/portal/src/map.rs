//! The portal's map, drawn from the city's own walking network: no tiles, no internet.
//!
//! [`BaseMap`] fixes a projection over the network's extent (equirectangular, scaled by the
//! cosine of the middle latitude so that a metre is as long east–west as north–south) and draws
//! every road segment once into an SVG layer (`/static/roads.svg`, cached by the browser). Pages
//! put their points (the home, the outlets, the communities) over it in the same coordinates.

use lc_model::LonLat;

/// Width of the map's coordinate space (its height follows the extent's proportions).
pub const WIDTH: f64 = 1000.0;

/// The projection and the road layer.
#[derive(Debug, Clone)]
pub struct BaseMap {
    pub min_lon: f64,
    pub max_lat: f64,
    /// Map units per degree of longitude and of latitude.
    pub kx: f64,
    pub ky: f64,
    /// Height of the coordinate space.
    pub height: f64,
    /// The road layer (an SVG document).
    pub roads_svg: String,
    /// The same, gzip-compressed once (a fraction of the size over the wire).
    pub roads_svg_gz: Vec<u8>,
    /// Road segments drawn.
    pub segments: usize,
}

impl BaseMap {
    /// The map of a walking network; `None` for an empty one.
    pub fn from_network(g: &lc_network::Graph) -> Option<BaseMap> {
        let coords = g.coords();
        if coords.is_empty() {
            return None;
        }
        let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for c in coords {
            min_lon = min_lon.min(c.lon);
            max_lon = max_lon.max(c.lon);
            min_lat = min_lat.min(c.lat);
            max_lat = max_lat.max(c.lat);
        }
        let mut m = BaseMap::frame(min_lon, max_lon, min_lat, max_lat);
        // One path: each segment a move and a line, in whole map units of a tenth (about 1 m
        // on a 10 km city), duplicates of the two directions dropped.
        let mut seen = std::collections::HashSet::new();
        let mut d = String::with_capacity(g.edge_count() * 24);
        for e in g.edges() {
            let (a, b) = if e.u < e.v { (e.u, e.v) } else { (e.v, e.u) };
            if !seen.insert((a, b)) {
                continue;
            }
            let (x1, y1) = m.project(g.coord(a));
            let (x2, y2) = m.project(g.coord(b));
            d.push_str(&format!("M{:.1} {:.1}L{:.1} {:.1}", x1, y1, x2, y2));
        }
        m.segments = seen.len();
        m.roads_svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h:.0}\" width=\"{w}\" height=\"{h:.0}\">\
             <rect width=\"{w}\" height=\"{h:.0}\" fill=\"#f4f1ea\"/>\
             <path d=\"{d}\" fill=\"none\" stroke=\"#b9b3a6\" stroke-width=\"1.1\" stroke-linecap=\"round\"/></svg>",
            w = WIDTH,
            h = m.height,
        );
        m.roads_svg_gz = gzip(m.roads_svg.as_bytes());
        Some(m)
    }

    /// The projection of an extent (with a 3 % margin), without roads.
    pub fn frame(min_lon: f64, max_lon: f64, min_lat: f64, max_lat: f64) -> BaseMap {
        let dlon = (max_lon - min_lon).max(1e-4);
        let dlat = (max_lat - min_lat).max(1e-4);
        let (min_lon, max_lon) = (min_lon - dlon * 0.03, max_lon + dlon * 0.03);
        let (min_lat, max_lat) = (min_lat - dlat * 0.03, max_lat + dlat * 0.03);
        let mid = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.05);
        let kx = WIDTH / (max_lon - min_lon);
        let ky = kx / mid;
        BaseMap {
            min_lon,
            max_lat,
            kx,
            ky,
            height: ((max_lat - min_lat) * ky).ceil(),
            roads_svg: String::new(),
            roads_svg_gz: Vec::new(),
            segments: 0,
        }
    }

    /// The projection framing points (JSON records with `lon`, `lat`), without roads; `None`
    /// when none has a position.
    pub fn around(records: &[serde_json::Value]) -> Option<BaseMap> {
        let pts: Vec<(f64, f64)> = records
            .iter()
            .filter_map(|c| Some((c["lon"].as_f64()?, c["lat"].as_f64()?)))
            .collect();
        if pts.is_empty() {
            return None;
        }
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in pts {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        Some(BaseMap::frame(x0, x1, y0, y1))
    }

    /// Map coordinates of a point.
    pub fn project(&self, p: LonLat) -> (f64, f64) {
        (
            (p.lon - self.min_lon) * self.kx,
            (self.max_lat - p.lat) * self.ky,
        )
    }

    /// The point at map coordinates (the inverse of [`BaseMap::project`]).
    pub fn unproject(&self, x: f64, y: f64) -> LonLat {
        LonLat::new(self.min_lon + x / self.kx, self.max_lat - y / self.ky)
    }

    /// Whether a point falls on the map.
    pub fn contains(&self, p: LonLat) -> bool {
        let (x, y) = self.project(p);
        (0.0..=WIDTH).contains(&x) && (0.0..=self.height).contains(&y)
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into memory cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// A point drawn on a page's map.
#[derive(Debug, Clone)]
pub struct Marker {
    pub x: f64,
    pub y: f64,
    /// Short label inside the marker (a rank), may be empty.
    pub label: String,
    /// Title (tooltip and accessible name).
    pub title: String,
    /// CSS class: `home`, `outlet`, `ok`/`some`/`many` (a community by its shortcomings).
    pub class: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_round_trips_and_keeps_metres_square() {
        let m = BaseMap::frame(104.03, 104.12, 30.63, 30.70);
        let p = LonLat::new(104.0655, 30.6571);
        let (x, y) = m.project(p);
        let q = m.unproject(x, y);
        assert!((q.lon - p.lon).abs() < 1e-9 && (q.lat - p.lat).abs() < 1e-9);
        assert!(m.contains(p));
        assert!(!m.contains(LonLat::new(105.0, 30.66)));
        // 0.01° of latitude is 1.11 km; 0.01° of longitude at 30.66°N is 0.956 km: the map
        // shows them in that proportion.
        let (x0, y0) = m.project(LonLat::new(104.06, 30.66));
        let (x1, _) = m.project(LonLat::new(104.07, 30.66));
        let (_, y1) = m.project(LonLat::new(104.06, 30.67));
        let ratio = (x1 - x0) / (y0 - y1);
        assert!(
            (ratio - 30.665f64.to_radians().cos()).abs() < 0.002,
            "{ratio}"
        );
        // North is up.
        assert!(y1 < y0);
    }

    #[test]
    fn a_frame_around_records_holds_them_all() {
        let recs = vec![
            serde_json::json!({"lon": 104.06, "lat": 30.65}),
            serde_json::json!({"lon": 104.09, "lat": 30.68}),
            serde_json::json!({"name": "no position"}),
        ];
        let m = BaseMap::around(&recs).unwrap();
        assert!(m.contains(LonLat::new(104.06, 30.65)) && m.contains(LonLat::new(104.09, 30.68)));
        assert!(!m.contains(LonLat::new(104.2, 30.68)));
        assert!(BaseMap::around(&recs[2..]).is_none());
    }
}

//! Coordinate reference conversions between WGS-84, GCJ-02 and BD-09 (no I/O).
//!
//! GPS and OpenStreetMap use WGS-84. AMap (高德) and Tencent publish GCJ-02, and Baidu
//! publishes BD-09, which is built on top of GCJ-02. livingcircle stores WGS-84 only and
//! converts on ingest with [`to_wgs84`].
//!
//! The official GCJ-02 algorithm is not public. This crate implements the public
//! reverse-engineered reconstruction (the formula of the eviltransform and coordtransform
//! ports, restated in `DOMAIN.md` §7.5), written from the formula:
//!
//! * WGS-84 → GCJ-02 ([`wgs84_to_gcj02`]) is exact by definition of that formula.
//! * GCJ-02 → WGS-84 ([`gcj02_to_wgs84`]) inverts it by fixed-point iteration to well below
//!   a micrometre.
//! * GCJ-02 ↔ BD-09 use the published Baidu formula; [`bd09_to_gcj02`] refines the usual
//!   one-step inverse by iteration so that a round trip is exact to below a micrometre (the
//!   one-step inverse alone is 2–12 cm off).
//!
//! **Outside China the GCJ-02 offset is the identity.** The two common ports disagree on the
//! box that stands for "China"; this crate uses the larger eviltransform box (lon
//! 72.004–137.8347, lat 0.8293–55.8271, see [`in_china_box`]) because the coordtransform box
//! (lon 73.66–135.05, lat 3.86–53.55) cuts off the northern tip of Heilongjiang (Mohe,
//! ≈53.56°N) and China's easternmost point (Fuyuan, ≈135.08°E), where a GCJ-02 offset is
//! applied by the map providers. Any box is a rough stand-in for the border: both boxes take
//! in parts of neighbouring countries, whose GCJ-02 input should not occur in practice.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use lc_model::LonLat;

/// A coordinate reference system of input positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Crs {
    /// WGS-84 longitude/latitude: GPS, OpenStreetMap, most open data. Nothing to convert.
    #[default]
    Wgs84,
    /// GCJ-02 (国测局坐标, "Mars coordinates"): AMap/Gaode and Tencent maps.
    Gcj02,
    /// BD-09 (百度坐标): Baidu maps, GCJ-02 with a further offset. (Not BD-09MC metres.)
    Bd09,
}

impl Crs {
    /// All systems, in a fixed order.
    pub const ALL: [Crs; 3] = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09];

    /// The lower-case name used on the command line and in files: `wgs84`, `gcj02`, `bd09`.
    pub fn name(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A coordinate system name that is not one of `wgs84`, `gcj02`, `bd09`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "未知坐标系 {0}，应为 wgs84、gcj02 或 bd09 unknown coordinate system {0}; expected one of: wgs84, gcj02, bd09",
    lc_model::quote(name)
)]
pub struct UnknownCrs {
    /// The name as given.
    pub name: String,
}

impl FromStr for Crs {
    type Err = UnknownCrs;

    /// Parses `wgs84`, `gcj02` or `bd09`, ignoring ASCII case and surrounding whitespace.
    fn from_str(s: &str) -> Result<Crs, UnknownCrs> {
        let t = s.trim();
        Crs::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownCrs {
                name: s.to_string(),
            })
    }
}

/// Converts a position given in `crs` to WGS-84.
pub fn to_wgs84(crs: Crs, p: LonLat) -> LonLat {
    match crs {
        Crs::Wgs84 => p,
        Crs::Gcj02 => gcj02_to_wgs84(p),
        Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
    }
}

/// Converts a WGS-84 position to `crs` (the inverse of [`to_wgs84`]; used to make test input).
pub fn from_wgs84(crs: Crs, p: LonLat) -> LonLat {
    match crs {
        Crs::Wgs84 => p,
        Crs::Gcj02 => wgs84_to_gcj02(p),
        Crs::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(p)),
    }
}

/// Whether a position lies in the box where the GCJ-02 offset applies:
/// lon 72.004–137.8347, lat 0.8293–55.8271 (inclusive; the eviltransform box, see the crate
/// documentation for why this box and not the smaller coordtransform one).
pub fn in_china_box(p: LonLat) -> bool {
    (72.004..=137.8347).contains(&p.lon) && (0.8293..=55.8271).contains(&p.lat)
}

/// Semi-major axis of the Krasovsky 1940 ellipsoid used by the formula, metres.
const A: f64 = 6_378_245.0;
/// Its first eccentricity squared (0.00669342162296594323 in the published formula, rounded
/// to the nearest `f64`).
const EE: f64 = 0.006_693_421_622_965_943;

/// The GCJ-02 offset (Δlon, Δlat) in degrees at a WGS-84 position, without the box test.
fn gcj_offset(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 105.0;
    let y = lat - 35.0;
    // The shared periodic term in x.
    let wave_x = 2.0 / 3.0 * (20.0 * (6.0 * PI * x).sin() + 20.0 * (2.0 * PI * x).sin());
    let t_lat = -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + wave_x
        + 2.0 / 3.0 * (20.0 * (PI * y).sin() + 40.0 * (PI * y / 3.0).sin())
        + 2.0 / 3.0 * (160.0 * (PI * y / 12.0).sin() + 320.0 * (PI * y / 30.0).sin());
    let t_lon = 300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + wave_x
        + 2.0 / 3.0 * (20.0 * (PI * x).sin() + 40.0 * (PI * x / 3.0).sin())
        + 2.0 / 3.0 * (150.0 * (PI * x / 12.0).sin() + 300.0 * (PI * x / 30.0).sin());
    let phi = lat.to_radians();
    let s = phi.sin();
    let m = 1.0 - EE * s * s;
    let d_lat = 180.0 * t_lat * m * m.sqrt() / (PI * A * (1.0 - EE));
    let d_lon = 180.0 * t_lon * m.sqrt() / (PI * A * phi.cos());
    (d_lon, d_lat)
}

/// WGS-84 → GCJ-02. The identity outside [`in_china_box`].
pub fn wgs84_to_gcj02(p: LonLat) -> LonLat {
    if !in_china_box(p) {
        return p;
    }
    let (d_lon, d_lat) = gcj_offset(p.lon, p.lat);
    LonLat::new(p.lon + d_lon, p.lat + d_lat)
}

/// GCJ-02 → WGS-84, by fixed-point iteration `w ← w − (f(w) − g)` until the step is below
/// 1e-13° (≈ 10 nm); three steps suffice in practice, at most ten are taken.
///
/// The identity when the GCJ-02 position is outside [`in_china_box`]. Inside, the unboxed
/// formula is inverted, so a WGS-84 point just outside the box whose shifted position falls
/// inside does not occur (the offset is below 1 km and the box edges lie far from cities).
pub fn gcj02_to_wgs84(g: LonLat) -> LonLat {
    if !in_china_box(g) {
        return g;
    }
    let (d_lon, d_lat) = gcj_offset(g.lon, g.lat);
    let mut w = LonLat::new(g.lon - d_lon, g.lat - d_lat);
    for _ in 0..10 {
        let (d_lon, d_lat) = gcj_offset(w.lon, w.lat);
        let e_lon = w.lon + d_lon - g.lon;
        let e_lat = w.lat + d_lat - g.lat;
        w = LonLat::new(w.lon - e_lon, w.lat - e_lat);
        if e_lon.abs() < 1e-13 && e_lat.abs() < 1e-13 {
            break;
        }
    }
    w
}

/// x_π of the Baidu formula.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// GCJ-02 → BD-09 (the published Baidu formula; applied everywhere, as Baidu does).
pub fn gcj02_to_bd09(p: LonLat) -> LonLat {
    let (x, y) = (p.lon, p.lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    LonLat::new(z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02: the published one-step inverse, refined by fixed-point iteration on
/// [`gcj02_to_bd09`] so that `gcj02_to_bd09(bd09_to_gcj02(b)) == b` to below 1e-13°.
pub fn bd09_to_gcj02(b: LonLat) -> LonLat {
    let x = b.lon - 0.0065;
    let y = b.lat - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    let mut g = LonLat::new(z * theta.cos(), z * theta.sin());
    for _ in 0..10 {
        let f = gcj02_to_bd09(g);
        let (e_lon, e_lat) = (f.lon - b.lon, f.lat - b.lat);
        g = LonLat::new(g.lon - e_lon, g.lat - e_lat);
        if e_lon.abs() < 1e-13 && e_lat.abs() < 1e-13 {
            break;
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat)
    }

    /// An unknown name is refused in Chinese and English, a long one cut (issue 19 item 5).
    #[test]
    fn unknown_names_are_refused_in_both_languages() {
        assert_eq!(" GCJ02 ".parse::<Crs>(), Ok(Crs::Gcj02));
        assert_eq!(
            "mars".parse::<Crs>().unwrap_err().to_string(),
            "未知坐标系 'mars'，应为 wgs84、gcj02 或 bd09 \
             unknown coordinate system 'mars'; expected one of: wgs84, gcj02, bd09"
        );
        let long = "w".repeat(100);
        let msg = long.parse::<Crs>().unwrap_err().to_string();
        assert!(msg.contains("…' (100 个字符 characters)"), "{msg}");
        assert!(!msg.contains(&long), "{msg}");
    }

    /// eviltransform `go/transform_test.go` vectors, (lat, lng) in the source, as (lon, lat).
    /// (city, WGS-84 (lon, lat), GCJ-02 (lon, lat)).
    type Vector = (&'static str, (f64, f64), (f64, f64));

    const VECTORS: [Vector; 3] = [
        (
            "Shanghai",
            (121.5272106, 31.1774276),
            (121.531541859215, 31.17530398364597),
        ),
        (
            "Shenzhen",
            (113.912316, 22.543847),
            (113.9171764808363, 22.540796131694766),
        ),
        (
            "Beijing",
            (116.377817, 39.911954),
            (116.38404722455657, 39.91334545536069),
        ),
    ];

    #[test]
    fn wgs_to_gcj_matches_published_vectors() {
        for (city, w, g) in VECTORS {
            let got = wgs84_to_gcj02(ll(w.0, w.1));
            assert!(
                (got.lon - g.0).abs() < 1e-9 && (got.lat - g.1).abs() < 1e-9,
                "{city}: got {got:?}, want {g:?}"
            );
        }
    }

    #[test]
    fn gcj_to_wgs_inverts_the_vectors() {
        for (city, w, g) in VECTORS {
            let back = gcj02_to_wgs84(ll(g.0, g.1));
            let err = back.haversine_m(ll(w.0, w.1));
            // The vectors themselves carry ~1e-15° rounding, i.e. ~1e-10 m.
            assert!(err < 1e-6, "{city}: {err} m");
        }
    }

    #[test]
    fn gcj_round_trip_is_below_a_micrometre_on_a_grid() {
        let mut worst: f64 = 0.0;
        let mut lon = 75.0;
        while lon <= 135.0 {
            let mut lat = 18.0;
            while lat <= 53.5 {
                let w = ll(lon, lat);
                let back = gcj02_to_wgs84(wgs84_to_gcj02(w));
                worst = worst.max(back.haversine_m(w));
                lat += 0.37;
            }
            lon += 0.41;
        }
        assert!(worst < 1e-6, "worst round trip {worst} m");
        // The requirement is 1 cm; also check the BD-09 chain.
        let w = ll(116.404, 39.915);
        let back = to_wgs84(Crs::Bd09, from_wgs84(Crs::Bd09, w));
        assert!(back.haversine_m(w) < 0.01, "{back:?}");
    }

    #[test]
    fn bd09_check_value() {
        let b = gcj02_to_bd09(ll(116.404, 39.915));
        assert!((b.lon - 116.41036949371029).abs() < 1e-12, "{b:?}");
        assert!((b.lat - 39.92133699351022).abs() < 1e-12, "{b:?}");
        let g = bd09_to_gcj02(b);
        assert!(g.haversine_m(ll(116.404, 39.915)) < 1e-6, "{g:?}");
    }

    #[test]
    fn bd09_is_about_a_kilometre_from_wgs() {
        let w = ll(116.404, 39.915);
        let d = from_wgs84(Crs::Bd09, w).haversine_m(w);
        assert!((1000.0..1400.0).contains(&d), "{d} m");
    }

    #[test]
    fn offset_at_beijing_is_about_555_m() {
        let w = ll(116.404, 39.915);
        let d = wgs84_to_gcj02(w).haversine_m(w);
        assert!((d - 555.0).abs() < 1.0, "{d} m");
        let d = gcj02_to_wgs84(w).haversine_m(w);
        assert!((d - 555.0).abs() < 2.0, "{d} m");
        // DOMAIN.md §7.5 offsets, as a spot check of the formula far from Beijing.
        for (lon, lat, m) in [
            (103.834, 36.061, 219.0),
            (87.617, 43.826, 265.0),
            (113.264, 23.129, 621.0),
            (126.535, 45.803, 518.0),
        ] {
            let w = ll(lon, lat);
            let d = wgs84_to_gcj02(w).haversine_m(w);
            assert!((d - m).abs() < 1.0, "({lon}, {lat}): {d} m, want {m}");
        }
    }

    #[test]
    fn identity_outside_china() {
        for p in [
            ll(2.35, 48.85),   // Paris
            ll(-74.0, 40.7),   // New York
            ll(139.69, 35.69), // Tokyo, east of the box
            ll(116.4, 56.0),   // north of the box
            ll(71.9, 39.0),    // west of the box
            ll(116.4, 0.5),    // south of the box
            ll(151.2, -33.87), // Sydney
        ] {
            assert!(!in_china_box(p), "{p:?}");
            assert_eq!(wgs84_to_gcj02(p), p);
            assert_eq!(gcj02_to_wgs84(p), p);
            assert_eq!(to_wgs84(Crs::Gcj02, p), p);
        }
    }

    #[test]
    fn box_edges_keep_chinas_extremities() {
        // Mohe (northern tip of Heilongjiang) and Fuyuan (easternmost point): inside this box,
        // outside the coordtransform one.
        for p in [ll(122.35, 53.56), ll(135.07, 48.35), ll(73.5, 39.4)] {
            assert!(in_china_box(p), "{p:?}");
            let d = wgs84_to_gcj02(p).haversine_m(p);
            assert!(d > 50.0, "{p:?} moved only {d} m");
        }
        // Exactly on the edges is inside (inclusive).
        assert!(in_china_box(ll(72.004, 0.8293)));
        assert!(in_china_box(ll(137.8347, 55.8271)));
        assert!(!in_china_box(ll(137.8348, 40.0)));
        assert!(!in_china_box(ll(100.0, 55.8272)));
    }

    #[test]
    fn crs_parses_case_insensitively_and_displays() {
        assert_eq!("WGS84".parse::<Crs>().unwrap(), Crs::Wgs84);
        assert_eq!(" gcj02 ".parse::<Crs>().unwrap(), Crs::Gcj02);
        assert_eq!("Bd09".parse::<Crs>().unwrap(), Crs::Bd09);
        for c in Crs::ALL {
            assert_eq!(c.to_string().parse::<Crs>().unwrap(), c);
        }
        let err = "gcj-02".parse::<Crs>().unwrap_err().to_string();
        assert!(
            err.contains("'gcj-02'") && err.contains("wgs84, gcj02, bd09"),
            "{err}"
        );
        assert_eq!(to_wgs84(Crs::Wgs84, ll(116.4, 39.9)), ll(116.4, 39.9));
    }
}

//! The geometry a partitioned run decides its extents with: the snapping projection of the
//! whole network (metres east and north, `x = lon · kx`, `y = lat · ky`, exactly as
//! [`lc_network::Snapper`] projects), boxes in it, and the bound on how much that projection
//! can overstate a straight-line (haversine) distance at a latitude.

use lc_model::LonLat;
use lc_network::METRES_PER_DEGREE;

/// The whole network's snapping projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Proj {
    pub(crate) lat: f64,
    pub(crate) kx: f64,
    pub(crate) ky: f64,
}

impl Proj {
    /// The projection at the whole network's projection latitude (the same `kx` as the snapper's).
    pub(crate) fn at(lat: f64) -> Proj {
        Proj {
            lat,
            kx: METRES_PER_DEGREE * lat.to_radians().cos(),
            ky: METRES_PER_DEGREE,
        }
    }

    pub(crate) fn fwd(&self, p: LonLat) -> [f64; 2] {
        [p.lon * self.kx, p.lat * self.ky]
    }

    /// How many times a distance in this projection can exceed the haversine distance between
    /// the same two points, for points with latitudes in `lat0..=lat1` (degrees): east–west
    /// distances are scaled by `cos(projection latitude) / cos(latitude)`, more than 1 only
    /// farther from the equator than the projection latitude. 1 % is added for the difference
    /// between the local plane and the sphere over a snapping distance.
    pub(crate) fn overstatement(&self, lat0: f64, lat1: f64) -> f64 {
        let far = lat0.abs().max(lat1.abs()).min(89.0);
        let ratio = (self.lat.to_radians().cos() / far.to_radians().cos()).max(1.0);
        ratio * 1.01
    }
}

/// An axis-aligned box in projected metres (empty until a point is added).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub(crate) x0: f64,
    pub(crate) y0: f64,
    pub(crate) x1: f64,
    pub(crate) y1: f64,
}

impl Rect {
    pub(crate) fn empty() -> Rect {
        Rect {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.x0 > self.x1 || self.y0 > self.y1
    }

    pub(crate) fn add(&mut self, [x, y]: [f64; 2]) {
        self.x0 = self.x0.min(x);
        self.y0 = self.y0.min(y);
        self.x1 = self.x1.max(x);
        self.y1 = self.y1.max(y);
    }

    /// The box grown by `m` metres on every side (shrunk when `m` is negative).
    pub(crate) fn grow(&self, m: f64) -> Rect {
        Rect {
            x0: self.x0 - m,
            y0: self.y0 - m,
            x1: self.x1 + m,
            y1: self.y1 + m,
        }
    }

    pub(crate) fn contains(&self, [x, y]: [f64; 2]) -> bool {
        self.x0 <= x && x <= self.x1 && self.y0 <= y && y <= self.y1
    }

    pub(crate) fn contains_rect(&self, r: &Rect) -> bool {
        r.is_empty() || (self.contains([r.x0, r.y0]) && self.contains([r.x1, r.y1]))
    }

    /// The latitudes (degrees) the box spans under `proj`.
    pub(crate) fn lat_range(&self, proj: &Proj) -> (f64, f64) {
        (self.y0 / proj.ky, self.y1 / proj.ky)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_projection_bound_holds_against_haversine() {
        // Projection at 30° N, points at 45° N: projected east–west distance overstates.
        let p = Proj::at(30.0);
        for (a, b) in [
            (LonLat::new(110.0, 45.0), LonLat::new(110.004, 45.0)),
            (LonLat::new(110.0, 45.0), LonLat::new(110.003, 45.002)),
            (LonLat::new(110.0, 20.0), LonLat::new(110.004, 20.0)),
        ] {
            let [ax, ay] = p.fwd(a);
            let [bx, by] = p.fwd(b);
            let projected = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
            let (lo, hi) = (a.lat.min(b.lat), a.lat.max(b.lat));
            let bound = p.overstatement(lo, hi);
            assert!(
                projected <= a.haversine_m(b) * bound,
                "{projected} {}",
                a.haversine_m(b)
            );
        }
        assert!(p.overstatement(44.0, 45.0) > 1.2);
        assert_eq!(p.overstatement(10.0, 20.0), 1.01);
    }

    #[test]
    fn boxes_grow_shrink_and_contain() {
        let mut r = Rect::empty();
        assert!(r.is_empty());
        r.add([0.0, 0.0]);
        r.add([10.0, 5.0]);
        assert!(r.contains([10.0, 5.0]) && !r.contains([10.1, 5.0]));
        assert!(r.grow(1.0).contains_rect(&r) && !r.grow(-1.0).contains_rect(&r));
        assert!(r.grow(-3.0).is_empty());
    }
}

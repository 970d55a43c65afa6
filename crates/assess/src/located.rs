//! Where each facility stands: its own division code when it has a valid one, else the code of
//! the nearest community (straight line) that has one — livingcircle holds no boundaries, so the
//! communities' positions stand for their regions.
//!
//! A province places millions of facilities this way. The codes are kept once each (a facility
//! holds an index into them), and the nearest coded community is found in a uniform grid on all
//! threads: an R-tree query per facility (rstar, which allocates a heap per query) took 8.7 s of
//! a 51 s province assessment (BENCHMARKS.md, "Province scale: the assessment").

use crate::Input;
use lc_model::LonLat;
use rayon::prelude::*;
use std::collections::HashMap;

/// No code.
const NONE: u32 = u32::MAX;

/// Each facility's region code and how it was known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacilityRegions {
    /// The distinct codes, in order of first use.
    codes: Vec<String>,
    /// Per facility: index into `codes`, or [`NONE`].
    of: Vec<u32>,
    /// Per facility: whether the code was taken from the nearest community.
    by_nearest: Vec<bool>,
}

impl FacilityRegions {
    /// Locates every facility of the input.
    pub(crate) fn locate(input: &Input) -> FacilityRegions {
        let mut codes: Vec<String> = Vec::new();
        let mut ids: HashMap<&str, u32> = HashMap::new();
        // The coded communities (position, code index).
        let mut coded: Vec<([f64; 2], u32)> = Vec::new();
        let mut lat_sum = 0.0;
        for c in input.communities {
            let Some(code) = c.division_code.as_deref().map(str::trim) else {
                continue;
            };
            if crate::regions::valid_code(code) {
                coded.push(([c.pos.lon, c.pos.lat], intern(&mut ids, &mut codes, code)));
                lat_sum += c.pos.lat;
            }
        }
        // An equirectangular projection around the coded communities' mean latitude: enough to
        // tell the nearest community within a city.
        let lat0 = if coded.is_empty() {
            0.0
        } else {
            lat_sum / coded.len() as f64
        };
        let k = lat0.to_radians().cos();
        let proj = |p: LonLat| [p.lon * k, p.lat];
        for (p, _) in &mut coded {
            *p = proj(LonLat::new(p[0], p[1]));
        }
        let own: Vec<u32> = input
            .facilities
            .iter()
            .map(|f| {
                match f
                    .division_code
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| crate::regions::valid_code(c))
                {
                    Some(c) => intern(&mut ids, &mut codes, c),
                    None => NONE,
                }
            })
            .collect();
        let grid = Grid::new(&coded);
        let of: Vec<u32> = input
            .facilities
            .par_iter()
            .zip(own.par_iter())
            .map(|(f, &own)| {
                if own != NONE {
                    own
                } else {
                    grid.nearest(proj(f.pos)).map_or(NONE, |i| coded[i].1)
                }
            })
            .collect();
        let by_nearest = own
            .iter()
            .zip(&of)
            .map(|(&own, &of)| own == NONE && of != NONE)
            .collect();
        FacilityRegions {
            codes,
            of,
            by_nearest,
        }
    }

    /// The region code of facility `f`, if any.
    pub fn code(&self, f: usize) -> Option<&str> {
        match self.of.get(f) {
            Some(&i) if i != NONE => Some(self.codes[i as usize].as_str()),
            _ => None,
        }
    }

    /// Whether facility `f`'s code was taken from the nearest community (it has none of its
    /// own).
    pub fn by_nearest(&self, f: usize) -> bool {
        self.by_nearest.get(f).copied().unwrap_or(false)
    }

    /// The distinct codes; [`FacilityRegions::code_index`] indexes them.
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    /// Facility `f`'s index into [`FacilityRegions::codes`], if it has a code.
    pub fn code_index(&self, f: usize) -> Option<usize> {
        self.of.get(f).filter(|&&i| i != NONE).map(|&i| i as usize)
    }
}

/// The index of `code` in `codes`, added when new.
fn intern<'a>(ids: &mut HashMap<&'a str, u32>, codes: &mut Vec<String>, code: &'a str) -> u32 {
    *ids.entry(code).or_insert_with(|| {
        codes.push(code.to_string());
        (codes.len() - 1) as u32
    })
}

/// Points bucketed in square cells, for exact nearest-point queries.
struct Grid {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    /// Points of cell `c` are `points[start[c]..start[c + 1]]`, in input order.
    start: Vec<u32>,
    points: Vec<(u32, [f64; 2])>,
}

impl Grid {
    fn new(pts: &[([f64; 2], u32)]) -> Grid {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (p, _) in pts {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        if pts.is_empty() {
            (x0, y0, x1, y1) = (0.0, 0.0, 0.0, 0.0);
        }
        // About two points per cell over the bounding box.
        let (w, h) = (x1 - x0, y1 - y0);
        let mut cell = ((w * h) / pts.len().max(1) as f64 * 2.0).sqrt();
        if !(cell.is_finite() && cell > 0.0) {
            cell = w.max(h).max(1e-9);
        }
        // At most about four cells per point, however thin the box (counted in floating point:
        // a box a million times longer than wide must not overflow the count).
        let cells = |cell: f64| ((w / cell).floor() + 1.0) * ((h / cell).floor() + 1.0);
        while cells(cell) > (4 * pts.len() + 16) as f64 {
            cell *= 2.0;
        }
        let nx = (w / cell) as usize + 1;
        let ny = (h / cell) as usize + 1;
        let mut g = Grid {
            x0,
            y0,
            cell,
            nx,
            ny,
            start: vec![0; nx * ny + 1],
            points: Vec::with_capacity(pts.len()),
        };
        let at: Vec<usize> = pts
            .iter()
            .map(|(p, _)| {
                let (cx, cy) = g.cell_of(*p);
                cy * nx + cx
            })
            .collect();
        for &c in &at {
            g.start[c + 1] += 1;
        }
        for c in 0..nx * ny {
            g.start[c + 1] += g.start[c];
        }
        let mut fill = g.start.clone();
        g.points.resize(pts.len(), (0, [0.0; 2]));
        for (i, (&c, (p, _))) in at.iter().zip(pts).enumerate() {
            g.points[fill[c] as usize] = (i as u32, *p);
            fill[c] += 1;
        }
        g
    }

    /// The cell of a point, clamped into the grid.
    fn cell_of(&self, p: [f64; 2]) -> (usize, usize) {
        let f = |v: f64, o: f64, n: usize| {
            let c = ((v - o) / self.cell).floor();
            if c.is_nan() || c < 0.0 {
                0
            } else {
                (c as usize).min(n - 1)
            }
        };
        (f(p[0], self.x0, self.nx), f(p[1], self.y0, self.ny))
    }

    /// The nearest point to `q` (squared euclidean distance; equal distances go to the first
    /// in input order), or `None` when there are no points.
    fn nearest(&self, q: [f64; 2]) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let (cx, cy) = self.cell_of(q);
        let mut best: Option<(f64, u32)> = None;
        let visit = |x: usize, y: usize, best: &mut Option<(f64, u32)>| {
            let c = y * self.nx + x;
            for &(i, p) in &self.points[self.start[c] as usize..self.start[c + 1] as usize] {
                let d = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
                if best.is_none_or(|(bd, bi)| d < bd || (d == bd && i < bi)) {
                    *best = Some((d, i));
                }
            }
        };
        let reach = self.nx.max(self.ny);
        for r in 0..=reach {
            // The ring of cells at Chebyshev distance r around (cx, cy).
            let (xl, xh) = (cx as isize - r as isize, cx + r);
            let (yl, yh) = (cy as isize - r as isize, cy + r);
            for y in yl.max(0) as usize..=yh.min(self.ny - 1) {
                let edge = y as isize == yl || y == yh;
                if edge {
                    for x in xl.max(0) as usize..=xh.min(self.nx - 1) {
                        visit(x, y, &mut best);
                    }
                } else {
                    if xl >= 0 {
                        visit(xl as usize, y, &mut best);
                    }
                    if xh < self.nx && r > 0 {
                        visit(xh, y, &mut best);
                    }
                }
            }
            // Every point outside the block of rings 0..=r is at least this far from q.
            if let Some((bd, _)) = best {
                let lo_x = self.x0 + (cx as f64 - r as f64) * self.cell;
                let hi_x = self.x0 + (cx + r + 1) as f64 * self.cell;
                let lo_y = self.y0 + (cy as f64 - r as f64) * self.cell;
                let hi_y = self.y0 + (cy + r + 1) as f64 * self.cell;
                let margin = (q[0] - lo_x)
                    .min(hi_x - q[0])
                    .min(q[1] - lo_y)
                    .min(hi_y - q[1]);
                if margin > 0.0 && margin * margin > bd * (1.0 + 1e-9) {
                    break;
                }
            }
        }
        best.map(|(_, i)| i as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nearest point by looking at all of them (first in input order on ties).
    fn brute(pts: &[([f64; 2], u32)], q: [f64; 2]) -> Option<usize> {
        let mut best: Option<(f64, usize)> = None;
        for (i, (p, _)) in pts.iter().enumerate() {
            let d = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// A small deterministic generator (no dependency needed for a test's scatter).
    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn grid_finds_the_same_point_as_looking_at_all() {
        let mut seed = 7;
        for n in [1usize, 2, 3, 10, 200, 3000] {
            // Clustered points (a city's communities are not uniform), some repeated exactly.
            let mut pts = Vec::new();
            for i in 0..n {
                let cluster = (i % 5) as f64;
                let p = [
                    104.0 + cluster * 0.3 + lcg(&mut seed) * 0.05,
                    30.0 + cluster * 0.1 + lcg(&mut seed) * 0.02,
                ];
                pts.push((p, i as u32));
                if i % 17 == 0 {
                    pts.push((p, i as u32 + 1));
                }
            }
            let g = Grid::new(&pts);
            for _ in 0..2000 {
                // Queries inside, near and far outside the points' box.
                let q = [103.0 + lcg(&mut seed) * 3.5, 29.5 + lcg(&mut seed) * 1.5];
                assert_eq!(g.nearest(q), brute(&pts, q), "n = {n}, q = {q:?}");
            }
            // Each point is its own nearest (or the first of its exact repeats).
            for (i, (p, _)) in pts.iter().enumerate() {
                let got = g.nearest(*p).expect("a point");
                assert_eq!(pts[got].0, *p);
                assert!(got <= i);
            }
        }
    }

    #[test]
    fn points_in_a_line_and_in_one_place() {
        let line: Vec<([f64; 2], u32)> = (0..100).map(|i| ([i as f64, 5.0], i)).collect();
        let g = Grid::new(&line);
        assert_eq!(g.nearest([42.4, 9.0]), Some(42));
        assert_eq!(g.nearest([-50.0, -50.0]), Some(0));
        assert_eq!(g.nearest([500.0, 5.0]), Some(99));
        // A box far longer than it is wide: the cell count stays bounded.
        let thin: Vec<([f64; 2], u32)> = (0..1000)
            .map(|i| ([i as f64, 5.0 + (i % 2) as f64 * 1e-200], i))
            .collect();
        let g = Grid::new(&thin);
        assert!(g.nx * g.ny <= 4 * thin.len() + 16);
        assert_eq!(g.nearest([500.2, 0.0]), Some(500));
        let same = vec![([1.0, 1.0], 0), ([1.0, 1.0], 1)];
        assert_eq!(Grid::new(&same).nearest([3.0, 0.0]), Some(0));
        assert_eq!(Grid::new(&[]).nearest([3.0, 0.0]), None);
    }
}

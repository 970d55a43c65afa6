//! Placing points on the graph: on the nearest edge (default) or the nearest node.
//!
//! Distances are searched in a local equirectangular projection (metres, scaled by the cosine
//! of the network's mean latitude) over a uniform grid of cells, then the reported snap
//! distance is the haversine distance from the point to its snapped position.

use crate::Graph;
use lc_model::LonLat;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// `Anchor::edge` of a point snapped to a node.
pub const NO_EDGE: u32 = u32::MAX;

/// How points are placed on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapMode {
    /// The nearest point on the nearest edge; the distance along the edge to each end counts.
    #[default]
    Edge,
    /// The nearest node, as pandana and OSMnx do.
    Node,
}

/// Where a point sits on the graph.
///
/// A point on edge `edge` between nodes `u` and `v` is `du` metres (along the edge) from `u`
/// and `dv` from `v`. A point snapped to a node has `edge == NO_EDGE`, `u == v` and zero offsets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    /// Index of the edge in [`Graph::edges`], or [`NO_EDGE`].
    pub edge: u32,
    /// One end.
    pub u: u32,
    /// The other end.
    pub v: u32,
    /// Metres along the edge from `u`.
    pub du: f64,
    /// Metres along the edge from `v`.
    pub dv: f64,
    /// Straight-line metres from the original point to where it was placed.
    pub snap_m: f64,
    /// The snapped position.
    pub pos: LonLat,
}

impl Anchor {
    /// An anchor exactly at a node.
    pub fn at_node(graph: &Graph, node: u32, snap_m: f64) -> Anchor {
        Anchor {
            edge: NO_EDGE,
            u: node,
            v: node,
            du: 0.0,
            dv: 0.0,
            snap_m,
            pos: graph.coord(node),
        }
    }
}

/// A spatial index over the graph for one [`SnapMode`].
pub struct Snapper<'g> {
    graph: &'g Graph,
    mode: SnapMode,
    proj: Projection,
    grid: Grid,
}

/// Local equirectangular projection to metres.
#[derive(Debug, Clone, Copy)]
struct Projection {
    kx: f64,
    ky: f64,
}

/// Metres per degree of latitude on the mean sphere (the projection's `ky`).
pub const METRES_PER_DEGREE: f64 = 111_194.93;

/// The latitude of the snapping projection of a graph whose node latitudes, in node order, are
/// `lats`: their mean, summed in that order. A partitioned run computes it over the whole
/// network's nodes once and gives it to every part ([`Snapper::with_latitude`]), so that a part
/// projects exactly as the whole run does.
pub fn projection_latitude(lats: impl Iterator<Item = f64>, n: usize) -> f64 {
    lats.sum::<f64>() / n.max(1) as f64
}

impl Projection {
    fn at_latitude(mean_lat: f64) -> Projection {
        let ky = METRES_PER_DEGREE;
        Projection {
            kx: ky * mean_lat.to_radians().cos(),
            ky,
        }
    }

    fn fwd(&self, p: LonLat) -> [f64; 2] {
        [p.lon * self.kx, p.lat * self.ky]
    }

    fn inv(&self, xy: [f64; 2]) -> LonLat {
        LonLat::new(xy[0] / self.kx, xy[1] / self.ky)
    }
}

/// A uniform grid of square cells over the projected network, each cell listing the items
/// (edges or nodes, by index) whose bounding box touches it: a compressed row of item indices
/// per cell. Issue 15 measured the R-tree it replaces at 2 GB and a quarter of the run on a
/// 10M-node province; this takes 4 bytes per cell and per (item, cell) pair, builds in
/// parallel, and answers a nearest query by searching rings of cells outwards.
///
/// The nearest item is exact: rings are searched until the best distance found is below the
/// distance to any cell not yet searched. Among items at exactly the same distance the lowest
/// index wins, whatever the order of the cells.
struct Grid {
    min: [f64; 2],
    cell: f64,
    nx: i64,
    ny: i64,
    /// `items[first[c]..first[c + 1]]` are cell `c`'s (row-major, `c = y * nx + x`).
    first: Vec<u32>,
    items: Vec<u32>,
}

impl Grid {
    /// A grid over `n` items in the box `[min, max]`, with cells of about `cell` metres,
    /// made larger where needed so that there are at most two cells per item.
    fn build(
        min: [f64; 2],
        max: [f64; 2],
        cell: f64,
        n: usize,
        cells_of: impl Fn(u32, &Grid) -> [i64; 4] + Sync,
    ) -> Grid {
        let (w, h) = ((max[0] - min[0]).max(1.0), (max[1] - min[1]).max(1.0));
        let floor = (w * h / (2.0 * n.max(1) as f64)).sqrt();
        let cell = cell.max(floor).max(1.0);
        let nx = (w / cell).floor() as i64 + 1;
        let ny = (h / cell).floor() as i64 + 1;
        let mut grid = Grid {
            min,
            cell,
            nx,
            ny,
            first: Vec::new(),
            items: Vec::new(),
        };
        let n_cells = (nx * ny) as usize;
        // Count the items of each cell, then place them: a counting sort, in parallel.
        let counts: Vec<AtomicU32> = (0..n_cells).map(|_| AtomicU32::new(0)).collect();
        (0..n as u32).into_par_iter().for_each(|i| {
            let [x0, y0, x1, y1] = cells_of(i, &grid);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    counts[(y * nx + x) as usize].fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let mut first = Vec::with_capacity(n_cells + 1);
        let mut total = 0u64;
        first.push(0u32);
        for c in &counts {
            total += u64::from(c.load(Ordering::Relaxed));
            first.push(u32::try_from(total).expect("fewer than 4 billion (item, cell) pairs"));
        }
        // Reuse the counters as each cell's fill cursor.
        for (c, f) in counts.iter().zip(&first) {
            c.store(*f, Ordering::Relaxed);
        }
        let slots: Vec<AtomicU32> = (0..total).map(|_| AtomicU32::new(0)).collect();
        (0..n as u32).into_par_iter().for_each(|i| {
            let [x0, y0, x1, y1] = cells_of(i, &grid);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let at = counts[(y * nx + x) as usize].fetch_add(1, Ordering::Relaxed);
                    slots[at as usize].store(i, Ordering::Relaxed);
                }
            }
        });
        drop(counts);
        let mut items: Vec<u32> = slots.into_iter().map(AtomicU32::into_inner).collect();
        // Each cell's items in index order, so the index reads the same on every run.
        let mut rest: &mut [u32] = &mut items;
        let mut parts = Vec::with_capacity(n_cells);
        for w in first.windows(2) {
            let (part, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
            parts.push(part);
            rest = tail;
        }
        parts.into_par_iter().for_each(|p| p.sort_unstable());
        grid.first = first;
        grid.items = items;
        grid
    }

    /// The cell column or row of a projected coordinate (possibly outside the grid).
    fn cell_of(&self, v: f64, axis: usize) -> i64 {
        ((v - self.min[axis]) / self.cell).floor() as i64
    }

    /// The cells `[x0, y0, x1, y1]` (clipped to the grid) that the box `a`–`b` touches.
    fn span(&self, a: [f64; 2], b: [f64; 2]) -> [i64; 4] {
        let clip_x = |v: f64| self.cell_of(v, 0).clamp(0, self.nx - 1);
        let clip_y = |v: f64| self.cell_of(v, 1).clamp(0, self.ny - 1);
        [
            clip_x(a[0].min(b[0])),
            clip_y(a[1].min(b[1])),
            clip_x(a[0].max(b[0])),
            clip_y(a[1].max(b[1])),
        ]
    }

    fn cell_items(&self, x: i64, y: i64) -> &[u32] {
        let c = (y * self.nx + x) as usize;
        &self.items[self.first[c] as usize..self.first[c + 1] as usize]
    }

    /// The item nearest to `q` by `dist2` (squared metres), lowest index among equals;
    /// `None` for an empty grid.
    fn nearest(&self, q: [f64; 2], dist2: impl Fn(u32) -> f64) -> Option<u32> {
        if self.items.is_empty() {
            return None;
        }
        let (cx, cy) = (self.cell_of(q[0], 0), self.cell_of(q[1], 1));
        // Rings wholly outside the grid hold nothing; the last ring that holds a cell.
        let gap = |c: i64, n: i64| if c < 0 { -c } else { (c - (n - 1)).max(0) };
        let r0 = gap(cx, self.nx).max(gap(cy, self.ny));
        let r_max = (cx.max(self.nx - 1 - cx)).max(cy.max(self.ny - 1 - cy));
        let (fx, fy) = (
            (q[0] - self.min[0]) / self.cell - cx as f64,
            (q[1] - self.min[1]) / self.cell - cy as f64,
        );
        let inside = fx.min(1.0 - fx).min(fy).min(1.0 - fy).max(0.0) * self.cell;
        let mut best = (f64::INFINITY, u32::MAX);
        let visit = |x: i64, y: i64, best: &mut (f64, u32)| {
            for &i in self.cell_items(x, y) {
                let d = dist2(i);
                if d < best.0 || (d == best.0 && i < best.1) {
                    *best = (d, i);
                }
            }
        };
        for r in r0..=r_max {
            let (x0, x1) = ((cx - r).max(0), (cx + r).min(self.nx - 1));
            let (y0, y1) = ((cy - r).max(0), (cy + r).min(self.ny - 1));
            for y in [cy - r, cy + r] {
                if (0..self.ny).contains(&y) {
                    for x in x0..=x1 {
                        visit(x, y, &mut best);
                    }
                    if r == 0 {
                        break;
                    }
                }
            }
            for x in [cx - r, cx + r] {
                if r > 0 && (0..self.nx).contains(&x) {
                    for y in (y0.max(cy - r + 1))..=(y1.min(cy + r - 1)) {
                        visit(x, y, &mut best);
                    }
                }
            }
            // Any item in no cell searched so far lies beyond the block of cells searched:
            // at least `r` whole cells plus the way from `q` to its own cell's nearest side
            // away (for a `q` outside the grid, the cells it would be in count).
            let reach = r as f64 * self.cell + inside;
            if best.1 != u32::MAX && best.0 < reach * reach {
                break;
            }
        }
        (best.1 != u32::MAX).then_some(best.1)
    }
}

/// The box around projected points (a zero box at the origin for none).
fn bounds(xy: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    if xy.is_empty() {
        return ([0.0; 2], [0.0; 2]);
    }
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in xy {
        for k in 0..2 {
            min[k] = min[k].min(p[k]);
            max[k] = max[k].max(p[k]);
        }
    }
    (min, max)
}

fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

impl Grid {
    /// The grid of the snapper's node mode over projected points.
    fn over_points(xy: &[[f64; 2]]) -> Grid {
        let (min, max) = bounds(xy);
        Grid::build(min, max, 100.0, xy.len(), |i, g| {
            g.span(xy[i as usize], xy[i as usize])
        })
    }
}

/// The nearest of a set of points in a straight line, by the snapper's projection and grid
/// (its node mode without a graph): the assessment places a facility without a division code
/// in the region of the nearest community that has one. Exact; among equally near points the
/// first in input order wins.
pub struct NearestPoint {
    proj: Projection,
    xy: Vec<[f64; 2]>,
    grid: Grid,
}

impl NearestPoint {
    /// Indexes `points`, projected at their mean latitude.
    pub fn new(points: &[LonLat]) -> NearestPoint {
        let proj = Projection::at_latitude(projection_latitude(
            points.iter().map(|p| p.lat),
            points.len(),
        ));
        let xy: Vec<[f64; 2]> = points.par_iter().map(|&p| proj.fwd(p)).collect();
        let grid = Grid::over_points(&xy);
        NearestPoint { proj, xy, grid }
    }

    /// The index of the point nearest to `p`; `None` when there are no points.
    pub fn nearest(&self, p: LonLat) -> Option<usize> {
        let q = self.proj.fwd(p);
        self.grid
            .nearest(q, |i| dist2(self.xy[i as usize], q))
            .map(|i| i as usize)
    }
}

/// Squared distance from `q` to the segment `a`–`b` (a point for `a == b`).
fn segment_dist2(q: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let s = if len2 > 0.0 {
        ((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2
    } else {
        0.0
    };
    let p = if s <= 0.0 {
        a
    } else if s >= 1.0 {
        b
    } else {
        [a[0] + dx * s, a[1] + dy * s]
    };
    let (ex, ey) = (p[0] - q[0], p[1] - q[1]);
    ex * ex + ey * ey
}

impl<'g> Snapper<'g> {
    /// Builds the index the mode needs (nodes for [`SnapMode::Node`], edges for [`SnapMode::Edge`]).
    pub fn new(graph: &'g Graph, mode: SnapMode) -> Snapper<'g> {
        let lat = projection_latitude(graph.coords().iter().map(|c| c.lat), graph.node_count());
        Snapper::with_latitude(graph, mode, lat)
    }

    /// As [`Snapper::new`], projecting at the latitude given instead of the graph's mean (a part
    /// of a partitioned run projects as the whole network does).
    pub fn with_latitude(graph: &'g Graph, mode: SnapMode, mean_lat: f64) -> Snapper<'g> {
        let proj = Projection::at_latitude(mean_lat);
        let xy: Vec<[f64; 2]> = graph.coords().par_iter().map(|&c| proj.fwd(c)).collect();
        let (min, max) = bounds(&xy);
        let grid = match mode {
            SnapMode::Node => Grid::over_points(&xy),
            SnapMode::Edge => {
                let edges = graph.edges();
                // Cells about as long as an average edge: a few edges each.
                let mean = if edges.is_empty() {
                    100.0
                } else {
                    edges
                        .par_iter()
                        .map(|e| {
                            let (a, b) = (xy[e.u as usize], xy[e.v as usize]);
                            ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
                        })
                        .sum::<f64>()
                        / edges.len() as f64
                };
                Grid::build(min, max, mean.clamp(20.0, 500.0), edges.len(), |i, g| {
                    let e = edges[i as usize];
                    g.span(xy[e.u as usize], xy[e.v as usize])
                })
            }
        };
        Snapper {
            graph,
            mode,
            proj,
            grid,
        }
    }

    /// The mode this index was built for.
    pub fn mode(&self) -> SnapMode {
        self.mode
    }

    /// Places one point. Returns `None` only for a graph without nodes or edges.
    pub fn snap(&self, p: LonLat) -> Option<Anchor> {
        let q = self.proj.fwd(p);
        let g = self.graph;
        match self.mode {
            SnapMode::Node => {
                let node = self
                    .grid
                    .nearest(q, |i| dist2(self.proj.fwd(g.coord(i)), q))?;
                Some(Anchor::at_node(g, node, p.haversine_m(g.coord(node))))
            }
            SnapMode::Edge => {
                let edge = self.grid.nearest(q, |i| {
                    let e = g.edges()[i as usize];
                    segment_dist2(q, self.proj.fwd(g.coord(e.u)), self.proj.fwd(g.coord(e.v)))
                })?;
                let e = g.edges()[edge as usize];
                let (a, b) = (self.proj.fwd(g.coord(e.u)), self.proj.fwd(g.coord(e.v)));
                let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                let len2 = dx * dx + dy * dy;
                // A position at or before `u` is exactly +0.0: a point
                // exactly at `u` of an edge pointing south-west gives `-0.0 * dx + -0.0 * dy`
                // = -0.0, and an offset of -0.0 sorts after every distance in the search's
                // integer keys (issue 15's 1M-node run found it).
                let t = if len2 > 0.0 {
                    let raw = ((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2;
                    if raw > 0.0 {
                        raw.min(1.0)
                    } else {
                        0.0
                    }
                } else {
                    0.0
                };
                let snapped = if t <= 0.0 {
                    g.coord(e.u)
                } else if t >= 1.0 {
                    g.coord(e.v)
                } else {
                    self.proj.inv([a[0] + t * dx, a[1] + t * dy])
                };
                Some(Anchor {
                    edge,
                    u: e.u,
                    v: e.v,
                    du: t * e.len,
                    dv: (1.0 - t) * e.len,
                    snap_m: p.haversine_m(snapped),
                    pos: snapped,
                })
            }
        }
    }

    /// Places many points in parallel; results are in input order.
    ///
    /// Points are visited in the order of the grid's cells, so that consecutive queries read
    /// the same edges and nodes from memory (5.7M facilities in file order made most reads
    /// cache misses).
    pub fn snap_all(&self, points: &[LonLat]) -> Vec<Anchor> {
        self.snap_all_within(points, f64::INFINITY)
            .into_iter()
            .map(|a| a.expect("no limit: every point is placed"))
            .collect()
    }

    /// [`Snapper::snap_all`] keeping only the points placed at most `limit_m` metres from
    /// where they were (`None` for the others), in input order.
    ///
    /// The results are put back into input order by sorting them in place, and turned into
    /// options in the same memory: one vector of results at a time (a province's 5.7M
    /// facilities: 365 MB instead of 1 GB at once with a copy back into order and another
    /// into options).
    pub fn snap_all_within(&self, points: &[LonLat], limit_m: f64) -> Vec<Option<Anchor>> {
        let mut order: Vec<(u64, u32)> = points
            .par_iter()
            .enumerate()
            .map(|(i, &p)| {
                let q = self.proj.fwd(p);
                let (x, y) = (self.grid.cell_of(q[0], 0), self.grid.cell_of(q[1], 1));
                let key = ((y.clamp(-1, self.grid.ny) + 1) as u64) << 32
                    | (x.clamp(-1, self.grid.nx) + 1) as u64;
                (key, i as u32)
            })
            .collect();
        order.par_sort_unstable();
        let mut snapped: Vec<(u32, Anchor)> = order
            .par_iter()
            .map(|&(_, i)| {
                let a = self
                    .snap(points[i as usize])
                    .expect("a built graph has at least one edge");
                (i, a)
            })
            .collect();
        drop(order);
        snapped.par_sort_unstable_by_key(|&(i, _)| i);
        // Same size as the pairs: collected in place.
        snapped
            .into_iter()
            .map(|(_, a)| if a.snap_m > limit_m { None } else { Some(a) })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BuildOptions, RawEdge, RawNetwork};

    /// Three nodes on the equator 0.001° (≈111.2 m) apart; edge lengths are given as 100 m each.
    fn line_graph() -> Graph {
        let raw = RawNetwork {
            node_ids: vec![1, 2, 3],
            coords: vec![
                LonLat::new(0.0, 0.0),
                LonLat::new(0.001, 0.0),
                LonLat::new(0.002, 0.0),
            ],
            edges: vec![
                RawEdge {
                    from: 0,
                    to: 1,
                    length_m: 100.0,
                },
                RawEdge {
                    from: 1,
                    to: 2,
                    length_m: 100.0,
                },
            ],
        };
        Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap()
        .0
    }

    #[test]
    fn edge_snap_splits_the_edge_length_by_position() {
        let g = line_graph();
        let s = Snapper::new(&g, SnapMode::Edge);
        // A quarter of the way from node 1 to node 2, 0.0002° (≈22 m) north of the road.
        let a = s.snap(LonLat::new(0.00125, 0.0002)).unwrap();
        assert_eq!((a.u, a.v), (1, 2));
        assert!((a.du - 25.0).abs() < 1e-6, "{a:?}");
        assert!((a.dv - 75.0).abs() < 1e-6, "{a:?}");
        assert!((a.snap_m - 22.24).abs() < 0.05, "{a:?}");
    }

    #[test]
    fn node_snap_takes_the_nearest_node() {
        let g = line_graph();
        let s = Snapper::new(&g, SnapMode::Node);
        let a = s.snap(LonLat::new(0.0014, 0.0)).unwrap();
        assert_eq!((a.u, a.v, a.edge), (1, 1, NO_EDGE));
        assert_eq!((a.du, a.dv), (0.0, 0.0));
        assert!((a.snap_m - 44.48).abs() < 0.05, "{a:?}");
    }

    /// A point exactly at the first node of an edge that points south-west: the projection
    /// gives `-0.0 * dx + -0.0 * dy = -0.0`; the offset must come out as +0.0 (a negative zero
    /// sorts after every distance in the search's integer keys, so the search reached the
    /// point's own node last, through the far end: 454.6 m instead of 114.4 m on a 1M-node city).
    #[test]
    fn a_point_at_an_edge_start_has_a_positive_zero_offset() {
        let raw = RawNetwork {
            node_ids: vec![1, 2],
            coords: vec![LonLat::new(0.001, 0.001), LonLat::new(0.0, 0.0)],
            edges: vec![RawEdge {
                from: 0,
                to: 1,
                length_m: 150.0,
            }],
        };
        let g = Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap()
        .0;
        let s = Snapper::new(&g, SnapMode::Edge);
        let a = s.snap(LonLat::new(0.001, 0.001)).unwrap();
        let (at, other) = if a.du == 0.0 {
            (a.du, a.dv)
        } else {
            (a.dv, a.du)
        };
        assert_eq!(at, 0.0);
        assert!(at.is_sign_positive(), "{a:?}");
        assert_eq!(other, 150.0);
        assert!(a.du.is_sign_positive() && a.dv.is_sign_positive(), "{a:?}");
    }

    #[test]
    fn beyond_the_end_snaps_to_the_end_node_position() {
        let g = line_graph();
        let s = Snapper::new(&g, SnapMode::Edge);
        let a = s.snap(LonLat::new(-0.001, 0.0)).unwrap();
        assert_eq!(a.u, 0);
        assert_eq!(a.du, 0.0);
        assert!((a.snap_m - 111.2).abs() < 0.1, "{a:?}");
    }

    /// A random network: nodes on a jittered patch about 2 km across (a few far-off ones),
    /// edges between random pairs of nearby-index nodes.
    fn random_graph(seed: u64, n: usize, m: usize) -> Graph {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let coords: Vec<LonLat> = (0..n)
            .map(|i| {
                let far = if i % 17 == 5 { 0.05 } else { 0.0 };
                LonLat::new(104.0 + far + next() * 0.02, 30.6 + next() * 0.02)
            })
            .collect();
        let edges = (0..m)
            .map(|k| {
                let a = k % n;
                let b = (a + 1 + (next() * 6.0) as usize) % n;
                RawEdge {
                    from: a as u32,
                    to: b as u32,
                    length_m: coords[a].haversine_m(coords[b]) * (1.0 + next() * 0.2),
                }
            })
            .collect();
        let raw = RawNetwork {
            node_ids: (0..n as i64).collect(),
            coords,
            edges,
        };
        Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: false,
            },
        )
        .unwrap()
        .0
    }

    /// The nearest edge or node by looking at every one (lowest index among equals).
    fn brute(s: &Snapper<'_>, g: &Graph, p: LonLat) -> u32 {
        let q = s.proj.fwd(p);
        let n = match s.mode {
            SnapMode::Edge => g.edges().len(),
            SnapMode::Node => g.node_count(),
        };
        let mut best = (f64::INFINITY, u32::MAX);
        for i in 0..n as u32 {
            let d = match s.mode {
                SnapMode::Edge => {
                    let e = g.edges()[i as usize];
                    segment_dist2(q, s.proj.fwd(g.coord(e.u)), s.proj.fwd(g.coord(e.v)))
                }
                SnapMode::Node => {
                    let c = s.proj.fwd(g.coord(i));
                    (c[0] - q[0]).powi(2) + (c[1] - q[1]).powi(2)
                }
            };
            if d < best.0 {
                best = (d, i);
            }
        }
        best.1
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// The grid finds exactly the nearest edge (and node) that a scan of all of them
        /// finds, for points on, near, between and far outside the network.
        #[test]
        fn the_grid_finds_what_a_full_scan_finds(
            seed in 0u64..1_000_000,
            n in 2usize..300,
            extra in 0usize..400,
            pts in proptest::collection::vec((-0.1f64..0.12, -0.1f64..0.12), 1..40),
        ) {
            let g = random_graph(seed, n, n + extra);
            for mode in [SnapMode::Edge, SnapMode::Node] {
                let s = Snapper::new(&g, mode);
                let mut points: Vec<LonLat> =
                    pts.iter().map(|&(dx, dy)| LonLat::new(104.0 + dx, 30.6 + dy)).collect();
                // Points exactly on nodes: equal distances to every edge that meets there.
                points.extend(g.coords().iter().step_by(7).copied());
                for (p, a) in points.iter().zip(s.snap_all(&points)) {
                    let want = brute(&s, &g, *p);
                    let got = match mode {
                        SnapMode::Edge => a.edge,
                        SnapMode::Node => a.u,
                    };
                    proptest::prop_assert_eq!(got, want, "{:?} {:?}", mode, p);
                }
            }
        }
    }

    /// A star of `n` edges meeting at node 0 (0,0), listed in `order`; the other ends on a circle.
    fn star(order: &[u32]) -> Graph {
        let n = order.len();
        let mut coords = vec![LonLat::new(0.0, 0.0)];
        for k in 0..n {
            let a = k as f64 * std::f64::consts::TAU / n as f64;
            coords.push(LonLat::new(0.001 * a.cos(), 0.001 * a.sin()));
        }
        let raw = RawNetwork {
            node_ids: (0..=n as i64).collect(),
            coords,
            edges: order
                .iter()
                .map(|&k| RawEdge {
                    from: 0,
                    to: k,
                    length_m: 100.0,
                })
                .collect(),
        };
        Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap()
        .0
    }

    #[test]
    fn among_equally_near_edges_and_nodes_the_lowest_index_wins() {
        // A point on the shared node is 0 m from every edge: whichever order the edges come in
        // (and however the tree is loaded), the first edge is taken.
        for order in [vec![1, 2, 3, 4, 5, 6, 7, 8], vec![8, 3, 5, 1, 7, 2, 6, 4]] {
            let g = star(&order);
            let a = Snapper::new(&g, SnapMode::Edge)
                .snap(LonLat::new(0.0, 0.0))
                .unwrap();
            assert_eq!(a.edge, 0, "{order:?}: {a:?}");
            assert_eq!((a.u, a.du), (0, 0.0));
        }
        // Two nodes at one position: the lower index.
        let raw = RawNetwork {
            node_ids: vec![7, 3, 5],
            coords: vec![
                LonLat::new(0.0, 0.0),
                LonLat::new(0.001, 0.0),
                LonLat::new(0.0, 0.0),
            ],
            edges: vec![
                RawEdge {
                    from: 0,
                    to: 1,
                    length_m: 1.0,
                },
                RawEdge {
                    from: 1,
                    to: 2,
                    length_m: 1.0,
                },
            ],
        };
        let g = Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap()
        .0;
        let a = Snapper::new(&g, SnapMode::Node)
            .snap(LonLat::new(0.0, 0.0))
            .unwrap();
        assert_eq!(a.u, 0);
    }

    #[test]
    fn a_given_latitude_projects_as_the_whole_network_would() {
        let g = line_graph();
        let lat = projection_latitude(g.coords().iter().map(|c| c.lat), g.node_count());
        let p = LonLat::new(0.0013, 0.0002);
        let a = Snapper::new(&g, SnapMode::Edge).snap(p).unwrap();
        let b = Snapper::with_latitude(&g, SnapMode::Edge, lat)
            .snap(p)
            .unwrap();
        assert_eq!(a, b);
    }

    /// The nearest point by looking at all of them, in the index's projection (first in input
    /// order among equals).
    fn brute_point(np: &NearestPoint, q: LonLat) -> Option<usize> {
        let q = np.proj.fwd(q);
        let mut best: Option<(f64, usize)> = None;
        for (i, &p) in np.xy.iter().enumerate() {
            let d = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, i));
            }
        }
        best.map(|(_, i)| i)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Nearest points: what looking at all of them finds, for clustered points with exact
        /// repeats (a city's communities are neither uniform nor distinct) and queries inside,
        /// near and far outside their box; each point finds itself or an earlier equal one.
        #[test]
        fn nearest_point_finds_what_looking_at_all_finds(
            pts in proptest::collection::vec((0usize..5, 0f64..0.05, 0f64..0.02, 0usize..17), 1..400),
            qs in proptest::collection::vec((103.0f64..106.5, 29.5f64..31.0), 1..60),
        ) {
            let mut points = Vec::new();
            for &(cluster, dx, dy, repeat) in &pts {
                let p = LonLat::new(104.0 + cluster as f64 * 0.3 + dx, 30.0 + cluster as f64 * 0.1 + dy);
                points.push(p);
                if repeat == 0 {
                    points.push(p);
                }
            }
            let np = NearestPoint::new(&points);
            for &(lon, lat) in &qs {
                let q = LonLat::new(lon, lat);
                proptest::prop_assert_eq!(np.nearest(q), brute_point(&np, q));
            }
            for (i, &p) in points.iter().enumerate() {
                let got = np.nearest(p).expect("a point");
                proptest::prop_assert_eq!(points[got], p);
                proptest::prop_assert!(got <= i);
            }
        }
    }

    #[test]
    fn nearest_point_on_a_line_in_one_place_and_among_none() {
        let line: Vec<LonLat> = (0..100)
            .map(|i| LonLat::new(100.0 + i as f64 * 0.01, 30.0))
            .collect();
        let np = NearestPoint::new(&line);
        assert_eq!(np.nearest(LonLat::new(100.424, 30.05)), Some(42));
        assert_eq!(np.nearest(LonLat::new(90.0, 20.0)), Some(0));
        assert_eq!(np.nearest(LonLat::new(110.0, 30.0)), Some(99));
        // A box far longer than it is wide.
        let thin: Vec<LonLat> = (0..1000)
            .map(|i| LonLat::new(80.0 + i as f64 * 0.04, 30.0 + (i % 2) as f64 * 1e-12))
            .collect();
        let np = NearestPoint::new(&thin);
        assert_eq!(np.nearest(LonLat::new(100.0081, 29.0)), Some(500));
        let same = [LonLat::new(1.0, 1.0), LonLat::new(1.0, 1.0)];
        assert_eq!(
            NearestPoint::new(&same).nearest(LonLat::new(3.0, 0.0)),
            Some(0)
        );
        assert_eq!(NearestPoint::new(&[]).nearest(LonLat::new(3.0, 0.0)), None);
    }
}

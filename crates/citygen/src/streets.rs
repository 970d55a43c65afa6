//! The street network: a jittered grid with arterials, compounds, a river, diagonals and dead ends.
//!
//! Everything is laid out in a local plane in metres (x east, y north, origin at the city
//! centre) and converted to longitude/latitude at the end. The steps, each with its own
//! random stream:
//!
//! 1. **Grid.** Column and row spacings are drawn independently in the block-size range, so
//!    blocks differ in width and depth; every node is then jittered by a few metres.
//! 2. **Arterials.** Every 8-10 rows and columns (by default) a row or column is an arterial
//!    road (主干道): never cut, nearly straight. The arterials divide the city into *arterial
//!    cells* (about a square kilometre), the unit of the compound and region logic below.
//! 3. **River.** A meandering band (the Yellow River through Lanzhou, the Hutuo north of
//!    Shijiazhuang) removes the nodes it covers; bridges cross it on most arterial columns and
//!    riverside promenades (滨河路) follow both banks.
//! 4. **Compounds.** About half the arterial cells hold a gated compound, campus or factory
//!    (大院): a rectangle of 2-5 by 2-5 blocks whose inner streets are missing, sometimes with
//!    a cul-de-sac leading in from the gate.
//! 5. **Cuts.** A few percent of local street segments are missing, which makes T-junctions,
//!    dead ends and irregular blocks.
//! 6. **Diagonals.** A few long diagonal streets run corner to corner through blocks.
//! 7. **Dead-end alleys.** Short spurs (胡同, driveways) off grid nodes bring the node count to
//!    the requested size.

use crate::fmath::{self, M_PER_DEG};
use crate::rng::Rng;
use crate::CityParams;
use lc_model::LonLat;
use lc_network::{RawEdge, RawNetwork};

/// Marks a grid position without a node.
pub(crate) const NONE: u32 = u32::MAX;

/// Share of local street segments removed.
const CUT_SHARE: f64 = 0.04;
/// Probability that an arterial cell holds a compound.
const COMPOUND_SHARE: f64 = 0.5;
/// Probability that a compound has a cul-de-sac from its gate.
const CUL_DE_SAC_SHARE: f64 = 0.6;
/// Share of the requested nodes the dead-end alleys are meant to supply.
const SPUR_SHARE: f64 = 0.03;
/// River width in metres.
const RIVER_WIDTH_M: f64 = 300.0;
/// Probability that an arterial column has a bridge.
const BRIDGE_SHARE: f64 = 0.8;

/// Random streams of the street phases.
mod stream {
    pub const SPACING: u64 = 1;
    pub const ARTERIALS: u64 = 2;
    pub const RIVER: u64 = 3;
    pub const JITTER: u64 = 4;
    pub const COMPOUNDS: u64 = 5;
    pub const CUTS: u64 = 6;
    pub const BRIDGES: u64 = 7;
    pub const DIAGONALS: u64 = 8;
    pub const SPURS: u64 = 9;
    pub const FACTORS: u64 = 10;
}

/// The river's centre line `y = y0 + amp * sin(2 pi x / wavelength + phase)`, in metres.
#[derive(Debug, Clone, Copy)]
pub(crate) struct River {
    y0: f64,
    amp: f64,
    wavelength: f64,
    phase: f64,
}

impl River {
    /// The y of the centre line at `x`.
    pub(crate) fn y_at(&self, x: f64) -> f64 {
        self.y0
            + self.amp * fmath::sin(2.0 * std::f64::consts::PI * x / self.wavelength + self.phase)
    }
}

/// The generated streets, in metres, before conversion to a [`RawNetwork`].
pub(crate) struct Streets {
    pub rows: usize,
    pub cols: usize,
    /// Extent of the grid in metres (east-west, north-south).
    pub width_m: f64,
    pub height_m: f64,
    /// Grid position (`r * cols + c`) -> node index, or [`NONE`].
    pub grid_node: Vec<u32>,
    /// Per node: position in metres.
    pub xy: Vec<[f64; 2]>,
    /// Per node: its grid position (for nodes off the grid, the grid node they hang from).
    pub grid_pos: Vec<u32>,
    /// Per node: lies on an arterial row or column.
    pub arterial: Vec<bool>,
    /// Per node: lies on an arterial row and an arterial column.
    pub junction: Vec<bool>,
    /// Per grid row / column: index of the arterial band (number of arterials before it).
    pub band_row: Vec<u32>,
    pub band_col: Vec<u32>,
    /// The river, if any.
    pub river: Option<River>,
    /// Edges as node pairs with a curvature factor (>= 1).
    pub edges: Vec<(u32, u32, f64)>,
    /// Grid ids are `offset + r * cols + c`; nodes off the grid follow.
    pub id_offset: i64,
}

impl Streets {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.xy.len()
    }

    /// Grid row and column of a node (of its anchor for nodes off the grid).
    pub fn row_col(&self, node: u32) -> (usize, usize) {
        let g = self.grid_pos[node as usize] as usize;
        (g / self.cols, g % self.cols)
    }

    /// The node at a grid position, if any.
    pub fn at(&self, r: isize, c: isize) -> Option<u32> {
        if r < 0 || c < 0 || r as usize >= self.rows || c as usize >= self.cols {
            return None;
        }
        let n = self.grid_node[r as usize * self.cols + c as usize];
        (n != NONE).then_some(n)
    }

    /// Positions converted to longitude/latitude around `center` (equirectangular).
    pub fn lonlat(&self, center: LonLat) -> Vec<LonLat> {
        let m_per_deg_lon = M_PER_DEG * fmath::cos(center.lat.to_radians());
        self.xy
            .iter()
            .map(|&[x, y]| LonLat::new(center.lon + x / m_per_deg_lon, center.lat + y / M_PER_DEG))
            .collect()
    }

    /// The network with external ids and haversine lengths times each edge's curvature factor.
    pub fn raw_network(&self, coords: &[LonLat]) -> RawNetwork {
        let grid_len = (self.rows * self.cols) as i64;
        let mut node_ids = vec![0i64; self.xy.len()];
        for (g, &n) in self.grid_node.iter().enumerate() {
            if n != NONE {
                node_ids[n as usize] = self.id_offset + g as i64;
            }
        }
        let grid_nodes = self.grid_node.iter().filter(|&&n| n != NONE).count();
        for (k, id) in node_ids.iter_mut().enumerate().skip(grid_nodes) {
            *id = self.id_offset + grid_len + (k - grid_nodes) as i64;
        }
        let edges = self
            .edges
            .iter()
            .map(|&(a, b, f)| {
                let (p, q) = (coords[a as usize], coords[b as usize]);
                RawEdge {
                    from: a,
                    to: b,
                    length_m: fmath::haversine_m(p.lon, p.lat, q.lon, q.lat) * f,
                }
            })
            .collect();
        RawNetwork {
            node_ids,
            coords: coords.to_vec(),
            edges,
        }
    }
}

/// Rows and columns of the grid for a requested node count.
fn grid_size(p: &CityParams, river: bool) -> (usize, usize) {
    // Expected change of the node count: compounds remove about (2.5^2 * 0.5) nodes per
    // arterial cell of ~81 and cul-de-sacs add ~0.9; the river removes about 3 rows.
    let (lo, hi) = p.arterial_every;
    let cell = ((lo + hi) as f64 / 2.0).powi(2);
    let compound_loss = COMPOUND_SHARE * 6.25 / cell;
    let cul_gain = COMPOUND_SHARE * CUL_DE_SAC_SHARE * 1.5 / cell;
    let target = p.nodes as f64 * (1.0 - SPUR_SHARE);
    let mut keep = 1.0 - compound_loss + cul_gain;
    let mut rows = (target / keep / p.aspect).sqrt();
    if river {
        let mean_block = (p.block_m.0 + p.block_m.1) / 2.0;
        keep -= RIVER_WIDTH_M / mean_block / rows.max(1.0);
        rows = (target / keep / p.aspect).sqrt();
    }
    let rows = (rows.round() as usize).max(3);
    let cols = ((target / keep / rows as f64).round() as usize).max(3);
    (rows, cols)
}

/// Cumulative positions of `n` grid lines with spacings drawn in `[lo, hi)`, centred on 0.
fn spacings(rng: &mut Rng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut v = Vec::with_capacity(n);
    let mut s = 0.0;
    for i in 0..n {
        if i > 0 {
            s += rng.range(lo, hi);
        }
        v.push(s);
    }
    let half = s / 2.0;
    v.iter_mut().for_each(|x| *x -= half);
    v
}

/// Which lines are arterials: a first one 2-5 lines in, then every `lo..=hi` lines.
fn arterials(rng: &mut Rng, n: usize, lo: usize, hi: usize) -> Vec<bool> {
    let mut a = vec![false; n];
    let mut i = rng.between(2, 5.min(hi));
    while i < n {
        a[i] = true;
        i += rng.between(lo, hi);
    }
    a
}

/// Boundaries of the arterial bands: 0, every arterial, the last line.
fn band_bounds(art: &[bool]) -> Vec<usize> {
    let mut b = vec![0];
    for (i, &a) in art.iter().enumerate() {
        if a && i > 0 {
            b.push(i);
        }
    }
    if *b.last().unwrap() != art.len() - 1 {
        b.push(art.len() - 1);
    }
    b
}

fn band_index(art: &[bool]) -> Vec<u32> {
    let mut k = 0u32;
    art.iter()
        .map(|&a| {
            if a {
                k += 1;
            }
            k
        })
        .collect()
}

/// A cul-de-sac into a compound: from a gate grid position, `len` nodes in direction `(dr, dc)`.
struct CulDeSac {
    gate: usize,
    dr: isize,
    dc: isize,
    len: usize,
}

/// Generates the streets.
pub(crate) fn generate(p: &CityParams, river_offset: f64) -> Streets {
    let (rows0, cols0) = grid_size(p, false);
    let with_river = p.river && rows0 >= 40 && cols0 >= 20;
    let (rows, cols) = grid_size(p, with_river);
    let (blo, bhi) = p.block_m;

    // 1. Grid lines.
    let mut rng = Rng::new(p.seed, stream::SPACING);
    let xs = spacings(&mut rng, cols, blo, bhi);
    let ys = spacings(&mut rng, rows, blo, bhi);
    let width_m = xs[cols - 1] - xs[0];
    let height_m = ys[rows - 1] - ys[0];

    // 2. Arterials.
    let mut rng = Rng::new(p.seed, stream::ARTERIALS);
    let (alo, ahi) = p.arterial_every;
    let art_row = arterials(&mut rng, rows, alo, ahi);
    let art_col = arterials(&mut rng, cols, alo, ahi);

    // 3. River.
    let mut alive = vec![true; rows * cols];
    let mut river = None;
    // Per column: the first and last river row.
    let mut river_rows: Vec<Option<(usize, usize)>> = vec![None; cols];
    if with_river {
        let mut rng = Rng::new(p.seed, stream::RIVER);
        let rv = River {
            y0: river_offset * height_m,
            amp: 0.04 * height_m,
            wavelength: width_m / rng.range(1.6, 2.6),
            phase: rng.range(0.0, 2.0 * std::f64::consts::PI),
        };
        for c in 0..cols {
            let yc = rv.y_at(xs[c]);
            for r in 0..rows {
                if (ys[r] - yc).abs() < RIVER_WIDTH_M / 2.0 {
                    alive[r * cols + c] = false;
                    river_rows[c] = Some(match river_rows[c] {
                        None => (r, r),
                        Some((lo, _)) => (lo, r),
                    });
                }
            }
        }
        river = Some(rv);
    }
    let in_river =
        |r: usize, c: usize| matches!(river_rows[c], Some((lo, hi)) if (lo..=hi).contains(&r));

    // 4. Compounds.
    let mut rng = Rng::new(p.seed, stream::COMPOUNDS);
    let mut blocked_cell = vec![false; rows * cols];
    let mut culs = Vec::new();
    let rb = band_bounds(&art_row);
    let cb = band_bounds(&art_col);
    for rw in rb.windows(2) {
        for cw in cb.windows(2) {
            let (hb, wb) = (rw[1] - rw[0], cw[1] - cw[0]);
            if hb < 3 || wb < 3 || !rng.chance(COMPOUND_SHARE) {
                continue;
            }
            let h = rng.between(2, hb.min(5));
            let w = rng.between(2, wb.min(5));
            let r0 = rw[0] + rng.below(hb - h + 1);
            let c0 = cw[0] + rng.below(wb - w + 1);
            let cul = rng.chance(CUL_DE_SAC_SHARE);
            let side = rng.below(4);
            let along = rng.between(1, 100);
            let len = rng.between(1, 2);
            let touches_river = (r0..=r0 + h).any(|r| (c0..=c0 + w).any(|c| in_river(r, c)));
            if touches_river {
                continue;
            }
            for r in r0 + 1..r0 + h {
                for c in c0 + 1..c0 + w {
                    alive[r * cols + c] = false;
                }
            }
            for r in r0..r0 + h {
                for c in c0..c0 + w {
                    blocked_cell[r * cols + c] = true;
                }
            }
            if cul {
                // The gate is on one side, strictly between the corners.
                let (gr, gc, dr, dc) = match side {
                    0 => (r0, c0 + 1 + along % (w - 1), 1, 0),
                    1 => (r0 + h, c0 + 1 + along % (w - 1), -1, 0),
                    2 => (r0 + 1 + along % (h - 1), c0, 0, 1),
                    _ => (r0 + 1 + along % (h - 1), c0 + w, 0, -1),
                };
                culs.push(CulDeSac {
                    gate: gr * cols + gc,
                    dr,
                    dc,
                    len,
                });
            }
        }
    }

    // Number the grid nodes and jitter them.
    let mut rng = Rng::new(p.seed, stream::JITTER);
    let mut grid_node = vec![NONE; rows * cols];
    let mut xy = Vec::with_capacity(p.nodes + p.nodes / 10);
    let mut grid_pos = Vec::with_capacity(p.nodes + p.nodes / 10);
    let mut arterial = Vec::with_capacity(p.nodes + p.nodes / 10);
    let mut junction = Vec::with_capacity(p.nodes + p.nodes / 10);
    let j = p.jitter_m;
    for r in 0..rows {
        for c in 0..cols {
            let g = r * cols + c;
            let (jx, jy) = (rng.range(-j, j), rng.range(-j, j));
            if !alive[g] {
                continue;
            }
            grid_node[g] = xy.len() as u32;
            // Arterials stay straight: only jitter along them.
            let jx = if art_col[c] { 0.0 } else { jx };
            let jy = if art_row[r] { 0.0 } else { jy };
            xy.push([xs[c] + jx, ys[r] + jy]);
            grid_pos.push(g as u32);
            arterial.push(art_row[r] || art_col[c]);
            junction.push(art_row[r] && art_col[c]);
        }
    }

    let mut s = Streets {
        rows,
        cols,
        width_m,
        height_m,
        grid_node,
        xy,
        grid_pos,
        arterial,
        junction,
        band_row: band_index(&art_row),
        band_col: band_index(&art_col),
        river,
        edges: Vec::with_capacity(p.nodes * 2 + p.nodes / 5),
        id_offset: p.node_id_offset,
    };

    // 5. Grid edges with cuts. Curvature factors come from their own stream.
    let mut cut = Rng::new(p.seed, stream::CUTS);
    let mut fac = Rng::new(p.seed, stream::FACTORS);
    for (r, &row_main) in art_row.iter().enumerate() {
        for (c, &col_main) in art_col.iter().enumerate() {
            let Some(a) = s.at(r as isize, c as isize) else {
                continue;
            };
            // East neighbour, along row r.
            if let Some(b) = s.at(r as isize, c as isize + 1) {
                let main = row_main;
                if main || !cut.chance(CUT_SHARE) {
                    let f = if main {
                        fac.range(1.0, 1.01)
                    } else {
                        fac.range(1.0, 1.06)
                    };
                    s.edges.push((a, b, f));
                }
            }
            // North neighbour, along column c.
            if let Some(b) = s.at(r as isize + 1, c as isize) {
                let main = col_main;
                if main || !cut.chance(CUT_SHARE) {
                    let f = if main {
                        fac.range(1.0, 1.01)
                    } else {
                        fac.range(1.0, 1.06)
                    };
                    s.edges.push((a, b, f));
                }
            }
        }
    }

    // Bridges and promenades.
    if with_river {
        let mut rng = Rng::new(p.seed, stream::BRIDGES);
        let mut bridges = Vec::new();
        let mut candidates = Vec::new();
        for c in 0..cols {
            let Some((lo, hi)) = river_rows[c] else {
                continue;
            };
            if !art_col[c] || lo == 0 || hi + 1 >= rows {
                continue;
            }
            candidates.push(c);
            if rng.chance(BRIDGE_SHARE) {
                bridges.push(c);
            }
        }
        if bridges.len() < 2 {
            bridges = candidates;
        }
        for c in bridges {
            let (lo, hi) = river_rows[c].unwrap();
            if let (Some(a), Some(b)) = (
                s.at(lo as isize - 1, c as isize),
                s.at(hi as isize + 1, c as isize),
            ) {
                s.edges.push((a, b, 1.0));
            }
        }
        for c in 0..cols.saturating_sub(1) {
            let (Some((lo1, hi1)), Some((lo2, hi2))) = (river_rows[c], river_rows[c + 1]) else {
                continue;
            };
            for (r1, r2) in [
                (lo1 as isize - 1, lo2 as isize - 1),
                (hi1 as isize + 1, hi2 as isize + 1),
            ] {
                if r1 == r2 {
                    continue;
                }
                if let (Some(a), Some(b)) = (s.at(r1, c as isize), s.at(r2, c as isize + 1)) {
                    s.edges.push((a, b, fac.range(1.0, 1.02)));
                }
            }
        }
    }

    // 6. Diagonal streets.
    let mut rng = Rng::new(p.seed, stream::DIAGONALS);
    let diagonals = 2 + ((p.nodes as f64).sqrt() / 150.0).round() as usize;
    let span = rows.min(cols);
    for _ in 0..diagonals {
        let (mut r, mut c) = (rng.below(rows) as isize, rng.below(cols) as isize);
        let dr = if rng.chance(0.5) { 1 } else { -1 };
        let dc = if rng.chance(0.5) { 1 } else { -1 };
        let len = rng.between((span / 6).max(2), (span / 2).max(3));
        for _ in 0..len {
            let (r2, c2) = (r + dr, c + dc);
            if r2 < 0 || c2 < 0 || r2 as usize >= rows || c2 as usize >= cols {
                break;
            }
            let cell = r.min(r2) as usize * cols + c.min(c2) as usize;
            if let (Some(a), Some(b)) = (s.at(r, c), s.at(r2, c2)) {
                if !blocked_cell[cell] {
                    blocked_cell[cell] = true;
                    s.edges.push((a, b, fac.range(1.0, 1.02)));
                }
            }
            (r, c) = (r2, c2);
        }
    }

    // Cul-de-sacs into compounds.
    for cul in &culs {
        let gate = s.grid_node[cul.gate];
        if gate == NONE {
            continue;
        }
        let (gr, gc) = (cul.gate / cols, cul.gate % cols);
        // Step towards the next grid line inwards, 40 % of the way per node.
        let nr = (gr as isize + cul.dr) as usize;
        let nc = (gc as isize + cul.dc) as usize;
        let step = [0.4 * (xs[nc] - xs[gc]), 0.4 * (ys[nr] - ys[gr])];
        let mut prev = gate;
        for k in 1..=cul.len {
            let [x, y] = s.xy[gate as usize];
            let node = s.xy.len() as u32;
            s.xy.push([x + step[0] * k as f64, y + step[1] * k as f64]);
            s.grid_pos.push(cul.gate as u32);
            s.arterial.push(false);
            s.junction.push(false);
            s.edges.push((prev, node, fac.range(1.0, 1.1)));
            prev = node;
        }
    }

    // 7. Dead-end alleys up to the requested size.
    let mut rng = Rng::new(p.seed, stream::SPURS);
    let spurs = p.nodes.saturating_sub(s.node_count());
    let grid_nodes = s.grid_node.iter().filter(|&&n| n != NONE).count();
    for _ in 0..spurs {
        let from = rng.below(grid_nodes) as u32;
        let sx = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let sy = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let [x, y] = s.xy[from as usize];
        let node = s.xy.len() as u32;
        s.xy.push([
            x + sx * rng.range(15.0, 40.0),
            y + sy * rng.range(15.0, 40.0),
        ]);
        s.grid_pos.push(s.grid_pos[from as usize]);
        s.arterial.push(false);
        s.junction.push(false);
        s.edges.push((from, node, rng.range(1.0, 1.12)));
    }
    s
}

/// Marks the nodes of the largest connected component (ties to the lowest node).
pub(crate) fn largest_component(n: usize, edges: &[(u32, u32, f64)]) -> Vec<bool> {
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            let q = p[x as usize];
            p[x as usize] = p[q as usize];
            x = q;
        }
        x
    }
    let mut parent: Vec<u32> = (0..n as u32).collect();
    for &(a, b, _) in edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[hi as usize] = lo;
        }
    }
    let mut size = vec![0u32; n];
    let mut has_edge = vec![false; n];
    for &(a, b, _) in edges {
        has_edge[a as usize] = true;
        has_edge[b as usize] = true;
    }
    let roots: Vec<u32> = (0..n as u32).map(|x| find(&mut parent, x)).collect();
    for x in 0..n {
        if has_edge[x] {
            size[roots[x] as usize] += 1;
        }
    }
    let best = (0..n).max_by(|&a, &b| size[a].cmp(&size[b]).then(b.cmp(&a)));
    match best {
        Some(b) => (0..n)
            .map(|x| has_edge[x] && roots[x] as usize == b)
            .collect(),
        None => vec![false; n],
    }
}

//! Placing points on the graph: on the nearest edge (default) or the nearest node.
//!
//! Distances are searched in a local equirectangular projection (metres, scaled by the cosine
//! of the network's mean latitude), then the reported snap distance is the haversine
//! distance from the point to its snapped position.

use crate::Graph;
use lc_model::LonLat;
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Line};
use rstar::RTree;

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

type NodeEntry = GeomWithData<[f64; 2], u32>;
type EdgeEntry = GeomWithData<Line<[f64; 2]>, u32>;

/// A spatial index over the graph for one [`SnapMode`].
pub struct Snapper<'g> {
    graph: &'g Graph,
    mode: SnapMode,
    proj: Projection,
    nodes: Option<RTree<NodeEntry>>,
    edges: Option<RTree<EdgeEntry>>,
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
        let (nodes, edges) = match mode {
            SnapMode::Node => {
                let entries: Vec<NodeEntry> = graph
                    .coords()
                    .par_iter()
                    .enumerate()
                    .map(|(i, &c)| GeomWithData::new(proj.fwd(c), i as u32))
                    .collect();
                (Some(RTree::bulk_load(entries)), None)
            }
            SnapMode::Edge => {
                let entries: Vec<EdgeEntry> = graph
                    .edges()
                    .par_iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let a = proj.fwd(graph.coord(e.u));
                        let b = proj.fwd(graph.coord(e.v));
                        GeomWithData::new(Line::new(a, b), i as u32)
                    })
                    .collect();
                (None, Some(RTree::bulk_load(entries)))
            }
        };
        Snapper {
            graph,
            mode,
            proj,
            nodes,
            edges,
        }
    }

    /// The mode this index was built for.
    pub fn mode(&self) -> SnapMode {
        self.mode
    }

    /// Places one point. Returns `None` only for a graph without nodes or edges.
    pub fn snap(&self, p: LonLat) -> Option<Anchor> {
        let q = self.proj.fwd(p);
        match self.mode {
            SnapMode::Node => {
                let hit = lowest_of_nearest(self.nodes.as_ref()?, &q)?;
                let node = hit.data;
                Some(Anchor::at_node(
                    self.graph,
                    node,
                    p.haversine_m(self.graph.coord(node)),
                ))
            }
            SnapMode::Edge => {
                let hit = lowest_of_nearest(self.edges.as_ref()?, &q)?;
                let line = hit.geom();
                let (a, b) = (line.from, line.to);
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
                let e = self.graph.edges()[hit.data as usize];
                let snapped = if t <= 0.0 {
                    self.graph.coord(e.u)
                } else if t >= 1.0 {
                    self.graph.coord(e.v)
                } else {
                    self.proj.inv([a[0] + t * dx, a[1] + t * dy])
                };
                Some(Anchor {
                    edge: hit.data,
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
    /// Points are visited in grid-cell order (cells of about 1 km) so that consecutive queries
    /// walk the same branches of the spatial index.
    pub fn snap_all(&self, points: &[LonLat]) -> Vec<Anchor> {
        let mut order: Vec<(u64, u32)> = points
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let [x, y] = self.proj.fwd(p);
                let cx = ((x / 1000.0).floor() as i64 + (1 << 20)) as u64 & 0x1F_FFFF;
                let cy = ((y / 1000.0).floor() as i64 + (1 << 20)) as u64 & 0x1F_FFFF;
                ((cy << 21) | cx, i as u32)
            })
            .collect();
        order.par_sort_unstable();
        let snapped: Vec<(u32, Anchor)> = order
            .par_iter()
            .map(|&(_, i)| {
                let a = self
                    .snap(points[i as usize])
                    .expect("a built graph has at least one edge");
                (i, a)
            })
            .collect();
        let mut out = vec![None; points.len()];
        for (i, a) in snapped {
            out[i as usize] = Some(a);
        }
        out.into_iter()
            .map(|a| a.expect("every point snapped"))
            .collect()
    }
}

/// The nearest entry; among entries at exactly the same distance, the one with the lowest index.
/// The tree's own choice among equals depends on how it was bulk-loaded, that is on which
/// other entries exist: with this rule a point snaps to the same node or edge in any graph
/// that keeps the nearest entries in the same relative order (a part of a partitioned run).
fn lowest_of_nearest<'t, G>(
    tree: &'t RTree<GeomWithData<G, u32>>,
    q: &[f64; 2],
) -> Option<&'t GeomWithData<G, u32>>
where
    G: rstar::RTreeObject<Envelope = rstar::AABB<[f64; 2]>> + rstar::PointDistance,
{
    let mut iter = tree.nearest_neighbor_iter_with_distance_2(q);
    let (mut best, d0) = iter.next()?;
    for (other, d) in iter {
        if d != d0 {
            break;
        }
        if other.data < best.data {
            best = other;
        }
    }
    Some(best)
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
}

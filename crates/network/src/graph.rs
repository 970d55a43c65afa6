//! Raw networks and the compact graph built from them.

use lc_model::LonLat;

/// An undirected edge of a [`RawNetwork`], between node positions (indices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawEdge {
    /// Index of one end in `RawNetwork::node_ids`.
    pub from: u32,
    /// Index of the other end.
    pub to: u32,
    /// Walking length in metres (non-negative, finite).
    pub length_m: f64,
}

/// A network as read from a source: nodes with external ids and positions, undirected edges.
///
/// Every edge is walkable in both directions. Readers guarantee that edge ends are valid
/// indices and lengths are finite and non-negative.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawNetwork {
    /// External node ids (OSM ids, or the `id` column of `nodes.csv`), one per node.
    pub node_ids: Vec<i64>,
    /// Positions, parallel to `node_ids`.
    pub coords: Vec<LonLat>,
    /// Undirected edges.
    pub edges: Vec<RawEdge>,
}

/// An undirected edge of a built [`Graph`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// One end (dense node index).
    pub u: u32,
    /// The other end.
    pub v: u32,
    /// Length in metres.
    pub len: f64,
}

/// Options of [`Graph::build`].
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions {
    /// Keep only the largest connected component (the default in the command line).
    pub keep_largest_component: bool,
}

/// What [`Graph::build`] kept and dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildReport {
    /// Nodes in the raw network.
    pub input_nodes: usize,
    /// Edges in the raw network.
    pub input_edges: usize,
    /// Edges from a node to itself, dropped.
    pub self_loops: usize,
    /// Connected components among nodes that have at least one edge.
    pub components: usize,
    /// Nodes without any edge, dropped.
    pub isolated_nodes: usize,
    /// Nodes dropped because they lie outside the largest component.
    pub dropped_nodes: usize,
    /// Edges dropped because they lie outside the largest component.
    pub dropped_edges: usize,
    /// Nodes in the built graph.
    pub nodes: usize,
    /// Undirected edges in the built graph.
    pub edges: usize,
}

/// Why a network could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// The input has no usable edge.
    #[error("路网为空 the network is empty: {0}")]
    Empty(String),
    /// More nodes than a `u32` index can address.
    #[error("路网有 {0} 个节点，最多支持 4,294,967,294 个 the network has {0} nodes; at most 4,294,967,294 are supported")]
    TooManyNodes(usize),
}

/// The walkable network: an immutable adjacency array on dense `u32` node indices.
///
/// Invariants: `first_out.len() == nodes + 1`; the arcs of node `x` are
/// `first_out[x]..first_out[x + 1]`; every undirected edge appears as two arcs; lengths are
/// finite and non-negative; there are no self-loops.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub(crate) ids: Vec<i64>,
    pub(crate) coords: Vec<LonLat>,
    pub(crate) first_out: Vec<u32>,
    pub(crate) head: Vec<u32>,
    pub(crate) arc_len: Vec<f64>,
    pub(crate) edges: Vec<Edge>,
}

impl Graph {
    /// Builds the graph from a raw network.
    pub fn build(
        raw: &RawNetwork,
        opts: BuildOptions,
    ) -> Result<(Graph, BuildReport), NetworkError> {
        let n = raw.node_ids.len();
        if n >= u32::MAX as usize {
            return Err(NetworkError::TooManyNodes(n));
        }
        let mut report = BuildReport {
            input_nodes: n,
            input_edges: raw.edges.len(),
            ..Default::default()
        };
        // Union-find over nodes to find components.
        let mut parent: Vec<u32> = (0..n as u32).collect();
        let mut has_edge = vec![false; n];
        for e in &raw.edges {
            if e.from == e.to {
                report.self_loops += 1;
                continue;
            }
            has_edge[e.from as usize] = true;
            has_edge[e.to as usize] = true;
            let a = find(&mut parent, e.from);
            let b = find(&mut parent, e.to);
            if a != b {
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                parent[hi as usize] = lo;
            }
        }
        let mut comp_size = vec![0u32; n];
        for x in 0..n as u32 {
            if has_edge[x as usize] {
                let r = find(&mut parent, x);
                comp_size[r as usize] += 1;
            } else {
                report.isolated_nodes += 1;
            }
        }
        report.components = comp_size.iter().filter(|&&s| s > 0).count();
        if report.components == 0 {
            return Err(NetworkError::Empty(format!(
                "读入 {} 个节点和 {} 条边，但没有一条边连接两个不同的节点 {} and {} were read, but no edge joins two different nodes",
                n,
                raw.edges.len(),
                lc_model::count(n, "node"),
                lc_model::count(raw.edges.len(), "edge"),
            )));
        }
        // The largest component; ties go to the lowest root for determinism.
        let largest_root = comp_size
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i as u32)
            .unwrap_or(0);
        let keep = |parent: &mut Vec<u32>, x: u32, has_edge: &[bool]| -> bool {
            has_edge[x as usize]
                && (!opts.keep_largest_component || find(parent, x) == largest_root)
        };
        // Dense renumbering in input order.
        let mut new_index = vec![u32::MAX; n];
        let mut ids = Vec::new();
        let mut coords = Vec::new();
        for x in 0..n as u32 {
            if keep(&mut parent, x, &has_edge) {
                new_index[x as usize] = ids.len() as u32;
                ids.push(raw.node_ids[x as usize]);
                coords.push(raw.coords[x as usize]);
            } else if has_edge[x as usize] {
                report.dropped_nodes += 1;
            }
        }
        let mut edges = Vec::with_capacity(raw.edges.len());
        for e in &raw.edges {
            if e.from == e.to {
                continue;
            }
            let (u, v) = (new_index[e.from as usize], new_index[e.to as usize]);
            if u == u32::MAX || v == u32::MAX {
                report.dropped_edges += 1;
                continue;
            }
            edges.push(Edge {
                u,
                v,
                len: e.length_m,
            });
        }
        let graph = Graph::from_parts(ids, coords, edges);
        report.nodes = graph.node_count();
        report.edges = graph.edge_count();
        Ok((graph, report))
    }

    /// Assembles the adjacency array from nodes and undirected edges (already validated).
    pub(crate) fn from_parts(ids: Vec<i64>, coords: Vec<LonLat>, edges: Vec<Edge>) -> Graph {
        let n = ids.len();
        let mut first_out = vec![0u32; n + 1];
        for e in &edges {
            first_out[e.u as usize + 1] += 1;
            first_out[e.v as usize + 1] += 1;
        }
        for i in 0..n {
            first_out[i + 1] += first_out[i];
        }
        let arcs = first_out[n] as usize;
        let mut head = vec![0u32; arcs];
        let mut arc_len = vec![0f64; arcs];
        let mut fill = first_out.clone();
        for e in &edges {
            let a = fill[e.u as usize] as usize;
            head[a] = e.v;
            arc_len[a] = e.len;
            fill[e.u as usize] += 1;
            let b = fill[e.v as usize] as usize;
            head[b] = e.u;
            arc_len[b] = e.len;
            fill[e.v as usize] += 1;
        }
        Graph {
            ids,
            coords,
            first_out,
            head,
            arc_len,
            edges,
        }
    }

    /// Takes a graph's arrays as they were stored (the network cache), checking every invariant
    /// of [`Graph`] instead of rebuilding the adjacency: `None` if one fails.
    ///
    /// Checked, on all threads: one position per node id; `first_out` has `n + 1` offsets rising
    /// from 0 to the number of arcs; every arc's head and every edge's end is a node index
    /// (`< n`) other than its tail (no self-loops); arc and edge lengths are finite and
    /// non-negative; two arcs per edge. Not checked: that the arcs are exactly the edges'
    /// (the cache's checksum stands for that); a graph that passes is safe to search either way.
    pub(crate) fn from_csr(
        ids: Vec<i64>,
        coords: Vec<LonLat>,
        first_out: Vec<u32>,
        head: Vec<u32>,
        arc_len: Vec<f64>,
        edges: Vec<Edge>,
    ) -> Option<Graph> {
        use rayon::prelude::*;
        let n = ids.len();
        let arcs = head.len();
        let shape_ok = n < u32::MAX as usize
            && coords.len() == n
            && first_out.len() == n + 1
            && first_out.first() == Some(&0)
            && first_out.last().map(|&a| a as usize) == Some(arcs)
            && arc_len.len() == arcs
            && edges.len().checked_mul(2) == Some(arcs);
        if !shape_ok {
            return None;
        }
        let length_ok = |len: f64| len.is_finite() && len >= 0.0;
        let nodes_ok = || {
            first_out
                .par_windows(2)
                .enumerate()
                .with_min_len(1 << 14)
                .all(|(x, w)| {
                    let (a, b) = (w[0] as usize, w[1] as usize);
                    a <= b
                        && b <= arcs
                        && head[a..b]
                            .iter()
                            .all(|&h| (h as usize) < n && h as usize != x)
                })
        };
        let lengths_ok = || {
            arc_len
                .par_iter()
                .with_min_len(1 << 16)
                .all(|&l| length_ok(l))
        };
        let edges_ok = || {
            edges
                .par_iter()
                .with_min_len(1 << 16)
                .all(|e| (e.u as usize) < n && (e.v as usize) < n && e.u != e.v && length_ok(e.len))
        };
        let (a, (b, c)) = rayon::join(nodes_ok, || rayon::join(lengths_ok, edges_ok));
        (a && b && c).then_some(Graph {
            ids,
            coords,
            first_out,
            head,
            arc_len,
            edges,
        })
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// External id of a node.
    pub fn node_id(&self, node: u32) -> i64 {
        self.ids[node as usize]
    }

    /// External ids of all nodes, by dense index.
    pub fn node_ids(&self) -> &[i64] {
        &self.ids
    }

    /// Position of a node.
    pub fn coord(&self, node: u32) -> LonLat {
        self.coords[node as usize]
    }

    /// Positions of all nodes, by dense index.
    pub fn coords(&self) -> &[LonLat] {
        &self.coords
    }

    /// The undirected edges.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// Neighbours of a node with the length of the connecting edge.
    #[inline]
    pub fn neighbours(&self, node: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        let (a, b) = (
            self.first_out[node as usize] as usize,
            self.first_out[node as usize + 1] as usize,
        );
        self.head[a..b]
            .iter()
            .copied()
            .zip(self.arc_len[a..b].iter().copied())
    }

    /// The raw adjacency arrays `(first_out, head, arc_len)`, for tight search loops.
    #[inline]
    pub fn csr(&self) -> (&[u32], &[u32], &[f64]) {
        (&self.first_out, &self.head, &self.arc_len)
    }

    /// Approximate heap memory held by the graph, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.ids.capacity() * 8
            + self.coords.capacity() * 16
            + self.first_out.capacity() * 4
            + self.head.capacity() * 4
            + self.arc_len.capacity() * 8
            + self.edges.capacity() * std::mem::size_of::<Edge>()
    }
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(n: usize, edges: &[(u32, u32, f64)]) -> RawNetwork {
        RawNetwork {
            node_ids: (0..n as i64).map(|i| i * 10).collect(),
            coords: (0..n).map(|i| LonLat::new(i as f64 * 0.001, 0.0)).collect(),
            edges: edges
                .iter()
                .map(|&(from, to, length_m)| RawEdge { from, to, length_m })
                .collect(),
        }
    }

    #[test]
    fn keeps_largest_component_and_reports_the_rest() {
        // Component A: 0-1-2 (3 nodes), component B: 3-4, isolated node 5, self-loop on 2.
        let r = raw(6, &[(0, 1, 1.0), (1, 2, 2.0), (3, 4, 5.0), (2, 2, 1.0)]);
        let (g, rep) = Graph::build(
            &r,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap();
        assert_eq!(g.node_count(), 3);
        assert_eq!(g.edge_count(), 2);
        assert_eq!(g.node_ids(), &[0, 10, 20]);
        assert_eq!(rep.components, 2);
        assert_eq!(rep.self_loops, 1);
        assert_eq!(rep.isolated_nodes, 1);
        assert_eq!(rep.dropped_nodes, 2);
        assert_eq!(rep.dropped_edges, 1);
        let mut nb: Vec<_> = g.neighbours(1).collect();
        nb.sort_by_key(|a| a.0);
        assert_eq!(nb, vec![(0, 1.0), (2, 2.0)]);
    }

    #[test]
    fn keeps_everything_when_asked() {
        let r = raw(5, &[(0, 1, 1.0), (1, 2, 2.0), (3, 4, 5.0)]);
        let (g, rep) = Graph::build(
            &r,
            BuildOptions {
                keep_largest_component: false,
            },
        )
        .unwrap();
        assert_eq!(g.node_count(), 5);
        assert_eq!(rep.dropped_nodes, 0);
    }

    #[test]
    fn empty_network_is_an_error() {
        let r = raw(3, &[(1, 1, 4.0)]);
        let err = Graph::build(
            &r,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap_err();
        assert!(matches!(err, NetworkError::Empty(_)), "{err}");
        assert_eq!(
            err.to_string(),
            "路网为空 the network is empty: 读入 3 个节点和 1 条边，但没有一条边连接两个不同的节点 \
             3 nodes and 1 edge were read, but no edge joins two different nodes"
        );
        let r = raw(0, &[]);
        assert!(Graph::build(
            &r,
            BuildOptions {
                keep_largest_component: true
            }
        )
        .is_err());
    }
}

//! A bounded single-source Dijkstra from an [`Anchor`], with reusable scratch space.
//!
//! One `Search` per worker thread: its distance array is as long as the graph has nodes and is
//! reset in time proportional to the nodes touched, so thousands of small searches stay cheap.

use crate::radix::RadixHeap;
use lc_network::{Anchor, Graph, NO_EDGE};

/// Scratch space for repeated bounded searches on one graph.
///
/// No "settled" flags: a node's distance only ever decreases, each push is strictly below the
/// node's previous tentative distance, so the one queue entry whose key equals the node's
/// current distance is the live one and every other entry for it is larger (stale, skipped).
/// One array of distances is one cache miss per node instead of two.
pub struct Search {
    dist: Vec<f64>,
    touched: Vec<u32>,
    heap: RadixHeap,
    /// The distance at which the last run was stopped by its callback (`None`: it ran out).
    stopped_at: Option<f64>,
}

/// Orders non-negative finite distances as integers (IEEE 754 bit patterns of non-negative
/// doubles sort like the numbers).
#[inline]
fn key(d: f64) -> u64 {
    d.to_bits()
}

impl Search {
    /// Scratch space for a graph with `nodes` nodes.
    pub fn new(nodes: usize) -> Search {
        Search {
            dist: vec![f64::INFINITY; nodes],
            touched: Vec::new(),
            heap: RadixHeap::new(),
            stopped_at: None,
        }
    }

    /// Runs Dijkstra from `source` and calls `on_settle(node, distance)` for every node whose
    /// network distance is at most `limit`, in non-decreasing order of distance.
    ///
    /// A source on an edge starts at both ends with its offsets; a source at a node starts there.
    /// `on_settle` returns `false` to stop the search early.
    pub fn run<F: FnMut(u32, f64) -> bool>(
        &mut self,
        graph: &Graph,
        source: &Anchor,
        limit: f64,
        mut on_settle: F,
    ) {
        self.reset();
        self.push(source.u, source.du, limit);
        if source.edge != NO_EDGE {
            self.push(source.v, source.dv, limit);
        }
        let (first_out, head, arc_len) = graph.csr();
        while let Some((k, x)) = self.heap.pop() {
            let xi = x as usize;
            let d = f64::from_bits(k);
            if d > self.dist[xi] {
                continue;
            }
            if !on_settle(x, d) {
                self.stopped_at = Some(d);
                break;
            }
            let (a, b) = (first_out[xi] as usize, first_out[xi + 1] as usize);
            for i in a..b {
                let y = head[i];
                let nd = d + arc_len[i];
                let yi = y as usize;
                if nd <= limit && nd < self.dist[yi] {
                    if self.dist[yi] == f64::INFINITY {
                        self.touched.push(y);
                    }
                    self.dist[yi] = nd;
                    self.heap.push(key(nd), y);
                }
            }
        }
    }

    /// The distance found for a node in the last run (infinite when not reached within the
    /// limit, or, in a run its callback stopped, farther than where it stopped).
    pub fn distance(&self, node: u32) -> f64 {
        let d = self.dist[node as usize];
        match self.stopped_at {
            Some(stop) if d > stop => f64::INFINITY,
            _ => d,
        }
    }

    /// Nodes reached (with a tentative or final distance) in the last run.
    pub fn touched(&self) -> &[u32] {
        &self.touched
    }

    fn push(&mut self, node: u32, d: f64, limit: f64) {
        // Keys are bit patterns, which sort like the numbers only for +0.0 and above: a start
        // offset of -0.0 (or a negative one, which no anchor should carry) starts at +0.0.
        let d = if d > 0.0 { d } else { 0.0 };
        let i = node as usize;
        if d <= limit && d < self.dist[i] {
            if self.dist[i] == f64::INFINITY {
                self.touched.push(node);
            }
            self.dist[i] = d;
            self.heap.push(key(d), node);
        }
    }

    fn reset(&mut self) {
        for &x in &self.touched {
            self.dist[x as usize] = f64::INFINITY;
        }
        self.touched.clear();
        self.heap.clear();
        self.stopped_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lc_model::LonLat;
    use lc_network::{BuildOptions, RawEdge, RawNetwork};

    /// A start offset of -0.0 (what a point exactly at an edge's first node once carried)
    /// starts at distance 0: the source's own node is settled first, not last.
    #[test]
    fn a_negative_zero_offset_starts_at_zero() {
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
        let g = Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap()
        .0;
        let (u, v) = (g.edges()[0].u, g.edges()[0].v);
        let source = Anchor {
            edge: 0,
            u,
            v,
            du: -0.0,
            dv: 100.0,
            snap_m: 0.0,
            pos: g.coord(u),
        };
        let mut s = Search::new(g.node_count());
        let mut order = Vec::new();
        s.run(&g, &source, 1_000.0, |x, d| {
            order.push((x, d));
            true
        });
        assert_eq!(order[0], (u, 0.0));
        assert!(order[0].1.is_sign_positive());
        // The third node is 100 m beyond one end.
        let mut ds: Vec<f64> = order.iter().map(|&(_, d)| d).collect();
        ds.sort_by(f64::total_cmp);
        assert_eq!(ds, [0.0, 100.0, 200.0]);
    }
}

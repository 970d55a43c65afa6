//! An independent reference for the tests: plain Dijkstra on the graph with every snapped point
//! inserted as a node of its own (edges split at the points), no shortcuts, no pruning.

#![allow(dead_code)]

use lc_network::{Anchor, Graph, NO_EDGE};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// The expanded graph: the original nodes first, then one node per point.
pub struct Expanded {
    pub adj: Vec<Vec<(usize, f64)>>,
    pub point_node: Vec<usize>,
}

pub fn expand(graph: &Graph, points: &[Anchor]) -> Expanded {
    let n = graph.node_count();
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n + points.len()];
    let mut on_edge: HashMap<u32, Vec<(f64, usize)>> = HashMap::new();
    let mut point_node = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let node = n + i;
        point_node.push(node);
        if p.edge == NO_EDGE {
            adj[node].push((p.u as usize, 0.0));
            adj[p.u as usize].push((node, 0.0));
        } else {
            on_edge.entry(p.edge).or_default().push((p.du, node));
        }
    }
    for (ei, e) in graph.edges().iter().enumerate() {
        let mut chain = vec![(0.0, e.u as usize)];
        if let Some(list) = on_edge.get(&(ei as u32)) {
            let mut list = list.clone();
            list.sort_by(|a, b| a.0.total_cmp(&b.0));
            chain.extend(list);
        }
        chain.push((e.len, e.v as usize));
        for w in chain.windows(2) {
            let len = w[1].0 - w[0].0;
            adj[w[0].1].push((w[1].1, len));
            adj[w[1].1].push((w[0].1, len));
        }
    }
    Expanded { adj, point_node }
}

pub fn dijkstra(adj: &[Vec<(usize, f64)>], source: usize) -> Vec<f64> {
    let mut dist = vec![f64::INFINITY; adj.len()];
    let mut heap = BinaryHeap::new();
    dist[source] = 0.0;
    heap.push(Reverse((0u64, source)));
    while let Some(Reverse((k, x))) = heap.pop() {
        let d = f64::from_bits(k);
        if d > dist[x] {
            continue;
        }
        for &(y, len) in &adj[x] {
            let nd = d + len;
            if nd < dist[y] {
                dist[y] = nd;
                heap.push(Reverse((nd.to_bits(), y)));
            }
        }
    }
    dist
}

//! Candidate sites for new facilities: where a planner could still build.
//!
//! [`candidates`] places 500 sites per 100,000 network nodes at node positions of the largest
//! connected component: about half next to a community (a short random walk along the streets
//! from it: vacant public rental housing, parcels in renovated old compounds), the rest
//! anywhere (buildings freed by relocation). About 70 % carry a capacity (places, 20-200 in
//! steps of 5) and 60 % a cost (10,000 yuan, 50-800). Deterministic: the same city and seed
//! give the same sites on every platform.

use crate::rng::Rng;
use crate::{City, CityParams};
use lc_model::LonLat;

const STREAM: u64 = 400;

/// Candidate sites per 100,000 nodes.
pub const CANDIDATES_PER_100K_NODES: usize = 500;

/// A candidate site (one row of `candidates.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// `K0000001`, …
    pub id: String,
    /// What the site is, in Chinese: 闲置公房, 腾退用房, 老旧小区改造地块.
    pub kind: &'static str,
    /// Position (a node of the network).
    pub pos: LonLat,
    /// Places the site could offer, if known.
    pub capacity: Option<f64>,
    /// Cost in 10,000 yuan, if known.
    pub cost: Option<f64>,
}

/// The largest connected component of a raw network, per node.
fn main_component(city: &City) -> Vec<bool> {
    let n = city.network.node_ids.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    for e in &city.network.edges {
        let (ra, rb) = (find(&mut parent, e.from), find(&mut parent, e.to));
        if ra != rb {
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
    let mut size = vec![0u32; n];
    for x in 0..n as u32 {
        let r = find(&mut parent, x);
        size[r as usize] += 1;
    }
    let best = (0..n)
        .max_by_key(|&r| (size[r], std::cmp::Reverse(r)))
        .unwrap_or(0) as u32;
    (0..n as u32)
        .map(|x| find(&mut parent, x) == best)
        .collect()
}

/// Candidate sites for a generated city (`count`: default 500 per 100,000 nodes).
pub fn candidates(params: &CityParams, city: &City, count: Option<usize>) -> Vec<Candidate> {
    let n = city.network.node_ids.len();
    let want = count.unwrap_or((n * CANDIDATES_PER_100K_NODES).div_ceil(100_000).max(1));
    let main = main_component(city);
    let pool: Vec<u32> = (0..n as u32).filter(|&x| main[x as usize]).collect();
    if pool.is_empty() {
        return Vec::new();
    }
    // Adjacency for the short walks.
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
    for e in &city.network.edges {
        adj[e.from as usize].push(e.to);
        adj[e.to as usize].push(e.from);
    }
    // Community nodes (communities sit exactly on node positions).
    let by_pos: std::collections::HashMap<(u64, u64), u32> = city
        .network
        .coords
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.lon.to_bits(), c.lat.to_bits()), i as u32))
        .collect();
    let homes: Vec<u32> = city
        .communities
        .iter()
        .filter_map(|c| {
            by_pos
                .get(&(c.pos.lon.to_bits(), c.pos.lat.to_bits()))
                .copied()
        })
        .filter(|&x| main[x as usize])
        .collect();
    let mut rng = Rng::new(params.seed, STREAM);
    let mut taken = vec![false; n];
    let mut out = Vec::with_capacity(want);
    let mut tries = 0;
    while out.len() < want && tries < want * 50 {
        tries += 1;
        let near = !homes.is_empty() && rng.chance(0.5);
        let mut node = if near {
            homes[rng.below(homes.len())]
        } else {
            pool[rng.below(pool.len())]
        };
        if near {
            for _ in 0..1 + rng.below(6) {
                let nb = &adj[node as usize];
                if nb.is_empty() {
                    break;
                }
                node = nb[rng.below(nb.len())];
            }
        }
        if taken[node as usize] || !main[node as usize] {
            continue;
        }
        taken[node as usize] = true;
        let kind = if near {
            if rng.chance(0.5) {
                "闲置公房"
            } else {
                "老旧小区改造地块"
            }
        } else {
            "腾退用房"
        };
        let capacity = rng.chance(0.7).then(|| 20.0 + 5.0 * rng.below(37) as f64);
        let cost = rng.chance(0.6).then(|| 50.0 + 10.0 * rng.below(76) as f64);
        out.push(Candidate {
            id: format!("K{:07}", out.len() + 1),
            kind,
            pos: city.network.coords[node as usize],
            capacity,
            cost,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_deterministic_distinct_nodes_with_some_capacities() {
        let p = CityParams::new(4_000, 3);
        let city = crate::generate(&p);
        let a = candidates(&p, &city, None);
        let b = candidates(&p, &city, None);
        assert_eq!(a, b);
        assert_eq!(
            a.len(),
            (city.network.node_ids.len() * 500).div_ceil(100_000)
        );
        let nodes: std::collections::HashSet<(u64, u64)> = city
            .network
            .coords
            .iter()
            .map(|c| (c.lon.to_bits(), c.lat.to_bits()))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for c in &a {
            let key = (c.pos.lon.to_bits(), c.pos.lat.to_bits());
            assert!(nodes.contains(&key), "{} is not at a node", c.id);
            assert!(seen.insert(key), "{} repeats a node", c.id);
        }
        assert!(a.iter().any(|c| c.capacity.is_some()));
        assert!(a.iter().any(|c| c.capacity.is_none()));
        assert!(a.iter().any(|c| c.cost.is_some()));
        let other = candidates(
            &CityParams::new(4_000, 4),
            &crate::generate(&CityParams::new(4_000, 4)),
            None,
        );
        assert_ne!(a, other);
        assert_eq!(candidates(&p, &city, Some(7)).len(), 7);
    }
}

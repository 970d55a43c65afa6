//! What the PBF and XML readers collect from elements, and the assembly of the network and
//! the facilities from it (shared, so both formats give identical results).

use lc_model::{Category, LonLat};
use lc_network::{RawEdge, RawNetwork};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::facilities::{classify, FacilityMatch};
use crate::rules::{verdict, ExcludedWays, Profile, WayVerdict};
use crate::tags::Tags;
use crate::{OsmExtract, OsmFacility, OsmStats};

/// A position in 10⁻⁷ degrees, as stored by OSM (PBF granularity and XML's 7 decimals).
///
/// Both readers convert to this before anything else, so a PBF and the XML it came from
/// give bit-identical coordinates and lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Coord {
    pub lat: i32,
    pub lon: i32,
}

impl Coord {
    /// The "not found" marker in coordinate tables.
    pub const MISSING: Coord = Coord {
        lat: i32::MIN,
        lon: i32::MIN,
    };

    /// A coordinate from 10⁻⁷ degree units, if it is inside the valid range.
    pub fn checked(lat: i64, lon: i64) -> Option<Coord> {
        let ok = (-900_000_000..=900_000_000).contains(&lat)
            && (-1_800_000_000..=1_800_000_000).contains(&lon);
        ok.then_some(Coord {
            lat: lat as i32,
            lon: lon as i32,
        })
    }

    /// A coordinate from degrees (rounded to 10⁻⁷), if finite and in range.
    pub fn from_degrees(lat: f64, lon: f64) -> Option<Coord> {
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        Coord::checked((lat * 1e7).round() as i64, (lon * 1e7).round() as i64)
    }

    pub fn is_missing(self) -> bool {
        self == Coord::MISSING
    }

    pub fn lonlat(self) -> LonLat {
        LonLat::new(f64::from(self.lon) / 1e7, f64::from(self.lat) / 1e7)
    }
}

/// A way kept for the network, as a facility, or both.
#[derive(Debug, Clone)]
pub(crate) struct WayRec {
    pub id: i64,
    pub refs: Vec<i64>,
    pub walkable: bool,
    pub facility: Option<(FacilityMatch, String)>,
}

/// A node that is a facility.
#[derive(Debug, Clone)]
pub(crate) struct PoiNode {
    pub id: i64,
    pub coord: Coord,
    pub name: String,
    pub facility: FacilityMatch,
}

/// Element counts gathered while scanning (mergeable across PBF blocks).
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts {
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
    pub highway_ways: u64,
    pub walkable_ways: u64,
    pub excluded: ExcludedWays,
    pub invalid_coordinates: u64,
    pub facility_relations_skipped: u64,
}

impl Counts {
    pub fn merge(&mut self, o: &Counts) {
        self.nodes += o.nodes;
        self.ways += o.ways;
        self.relations += o.relations;
        self.highway_ways += o.highway_ways;
        self.walkable_ways += o.walkable_ways;
        self.excluded.merge(&o.excluded);
        self.invalid_coordinates += o.invalid_coordinates;
        self.facility_relations_skipped += o.facility_relations_skipped;
    }
}

/// Everything the element scan keeps.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub ways: Vec<WayRec>,
    pub poi_nodes: Vec<PoiNode>,
    pub counts: Counts,
}

impl Collected {
    pub fn append(&mut self, mut other: Collected) {
        self.ways.append(&mut other.ways);
        self.poi_nodes.append(&mut other.poi_nodes);
        self.counts.merge(&other.counts);
    }

    /// Handles one way: the walkable rule and the facility mapping. `refs` is only called
    /// when the way is kept.
    pub fn way<I: IntoIterator<Item = i64>>(
        &mut self,
        id: i64,
        tags: &[(&str, &str)],
        refs: impl FnOnce() -> I,
        profile: Profile,
    ) {
        self.counts.ways += 1;
        let t = Tags::new(tags);
        let walkable = match verdict(&t, profile) {
            WayVerdict::NotHighway => false,
            WayVerdict::Walkable => {
                self.counts.highway_ways += 1;
                self.counts.walkable_ways += 1;
                true
            }
            WayVerdict::Excluded(reason) => {
                self.counts.highway_ways += 1;
                self.counts.excluded.add(reason);
                false
            }
        };
        let facility = classify(&t).map(|m| (m, t.display_name().to_string()));
        if walkable || facility.is_some() {
            self.ways.push(WayRec {
                id,
                refs: refs().into_iter().collect(),
                walkable,
                facility,
            });
        }
    }

    /// Handles a node with tags and a valid position (nodes without tags need no call; the
    /// readers count nodes with invalid positions and skip them).
    pub fn tagged_node(&mut self, id: i64, coord: Coord, tags: &[(&str, &str)]) {
        let t = Tags::new(tags);
        if let Some(m) = classify(&t) {
            self.poi_nodes.push(PoiNode {
                id,
                coord,
                name: t.display_name().to_string(),
                facility: m,
            });
        }
    }

    /// Handles a relation: only counted (facilities mapped as multipolygons are skipped).
    pub fn relation(&mut self, tags: &[(&str, &str)]) {
        self.counts.relations += 1;
        if classify(&Tags::new(tags)).is_some() {
            self.counts.facility_relations_skipped += 1;
        }
    }
}

/// Node positions looked up by OSM id: `slot_of[id]` indexes `coords`
/// ([`Coord::MISSING`] where the file lacks the node).
pub(crate) struct NodeTable {
    pub slot_of: FxHashMap<i64, u32>,
    pub coords: Vec<Coord>,
}

impl NodeTable {
    /// The slot and position of node `id`, if the file has it.
    fn get(&self, id: i64) -> Option<(u32, Coord)> {
        let slot = *self.slot_of.get(&id)?;
        let c = *self.coords.get(slot as usize)?;
        (!c.is_missing()).then_some((slot, c))
    }
}

/// Builds the network and the facility list. Ways are taken in id order, so the result
/// does not depend on the order of elements in the file.
pub(crate) fn assemble(mut collected: Collected, nodes: &NodeTable) -> OsmExtract {
    collected.ways.sort_by_key(|w| w.id);
    collected.poi_nodes.sort_by_key(|n| n.id);
    let c = &collected.counts;
    let mut stats = OsmStats {
        nodes_read: c.nodes,
        ways_read: c.ways,
        relations_read: c.relations,
        highway_ways: c.highway_ways,
        walkable_ways: c.walkable_ways,
        excluded: c.excluded,
        invalid_coordinates: c.invalid_coordinates,
        facility_relations_skipped: c.facility_relations_skipped,
        ..OsmStats::default()
    };

    // The network: every consecutive pair of nodes of a walkable way.
    let mut net = RawNetwork::default();
    // Network index of each slot (u32::MAX until first used).
    let mut index_of_slot: Vec<u32> = vec![u32::MAX; nodes.coords.len()];
    let mut missing: FxHashSet<i64> = FxHashSet::default();
    let mut node_index = |id: i64, slot: u32, coord: Coord, net: &mut RawNetwork| -> u32 {
        let ix = &mut index_of_slot[slot as usize];
        if *ix == u32::MAX {
            *ix = net.node_ids.len() as u32;
            net.node_ids.push(id);
            net.coords.push(coord.lonlat());
        }
        *ix
    };
    for way in collected.ways.iter().filter(|w| w.walkable) {
        let mut way_missing = false;
        let mut prev: Option<(i64, Option<(u32, Coord)>)> = None;
        for &id in &way.refs {
            let here = nodes.get(id);
            if here.is_none() {
                way_missing = true;
                missing.insert(id);
            }
            if let Some((prev_id, prev_node)) = prev {
                if prev_id == id {
                    stats.repeated_node_segments += 1;
                } else if let (Some((sa, ca)), Some((sb, cb))) = (prev_node, here) {
                    let from = node_index(prev_id, sa, ca, &mut net);
                    let to = node_index(id, sb, cb, &mut net);
                    let length_m = ca.lonlat().haversine_m(cb.lonlat());
                    stats.network_length_m += length_m;
                    net.edges.push(RawEdge { from, to, length_m });
                } else {
                    stats.segments_missing_node += 1;
                }
            }
            prev = Some((id, here));
        }
        if way_missing {
            stats.ways_with_missing_nodes += 1;
        }
    }
    stats.missing_node_ids = missing.len() as u64;
    stats.network_nodes = net.node_ids.len() as u64;
    stats.network_edges = net.edges.len() as u64;

    // Facilities: nodes first, then ways (centroid of their distinct found nodes).
    let mut facilities = Vec::new();
    let mut push = |prefix: char, id: i64, name: &str, m: &FacilityMatch, pos: LonLat| {
        let base = format!("{prefix}{id}");
        facilities.push(OsmFacility {
            id: base.clone(),
            name: name.to_string(),
            category: m.category,
            pos,
            tags_matched: m.matched.clone(),
        });
        if let Some(also) = m.also {
            facilities.push(OsmFacility {
                id: format!("{base}:{}", also.key()),
                name: name.to_string(),
                category: also,
                pos,
                tags_matched: m.matched.clone(),
            });
        }
    };
    // An object listed twice (extracts merged without deduplication) gives one facility, from
    // its first copy: ids stay unique (found by fuzzing, issue 19).
    let mut seen_nodes: FxHashSet<i64> = FxHashSet::default();
    let mut seen_ways: FxHashSet<i64> = FxHashSet::default();
    for n in &collected.poi_nodes {
        if !seen_nodes.insert(n.id) {
            continue;
        }
        stats.facility_nodes += 1;
        push('n', n.id, &n.name, &n.facility, n.coord.lonlat());
    }
    for way in &collected.ways {
        let Some((m, name)) = &way.facility else {
            continue;
        };
        if !seen_ways.insert(way.id) {
            continue;
        }
        let mut refs: &[i64] = &way.refs;
        if refs.len() > 1 && refs.first() == refs.last() {
            refs = &refs[..refs.len() - 1];
        }
        let (mut lon, mut lat, mut k) = (0.0, 0.0, 0u32);
        for &r in refs {
            if let Some((_, c)) = nodes.get(r) {
                let p = c.lonlat();
                lon += p.lon;
                lat += p.lat;
                k += 1;
            }
        }
        if k == 0 {
            stats.facility_ways_without_position += 1;
            continue;
        }
        stats.facility_ways += 1;
        push(
            'w',
            way.id,
            name,
            m,
            LonLat::new(lon / f64::from(k), lat / f64::from(k)),
        );
    }
    let mut by_cat = vec![0u64; Category::count()];
    for f in &facilities {
        by_cat[f.category.index()] += 1;
    }
    stats.facilities_by_category = by_cat
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .filter_map(|(i, &n)| Category::from_index(i).map(|c| (c, n)))
        .collect();

    OsmExtract {
        network: net,
        facilities,
        stats,
    }
}

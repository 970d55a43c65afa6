//! A deterministic generator of city-like walking networks with communities and facilities.
//!
//! [`generate`] builds a synthetic Chinese city for benchmarks and tests: a jittered street grid
//! (blocks of 80-120 m) with arterials every 8-10 blocks, gated compounds without inner
//! streets, missing segments and dead-end alleys, a few diagonal streets and a meandering river
//! crossed by bridges, placed around a real city centre ([`Site`]). Residential communities
//! carry populations, households, elderly residents and children, and synthetic 12-digit
//! division codes; facilities cover every category of [`lc_model::CATEGORIES`] with densities
//! per 10,000 residents that resemble a Chinese city, capacities for the categories that have
//! one, and realistic gaps (street regions that lack a category).
//!
//! The output depends only on [`CityParams`]: the pseudo-random generator is a SplitMix64
//! written here and the trigonometry is done without the platform's maths library, so a seed
//! gives bit-identical cities on every platform. There is no I/O in this crate.
//!
//! Communities and facilities sit **exactly at node coordinates** of the largest connected
//! component, so snapping them to the nearest node is unambiguous.
//!
//! ```
//! let city = lc_citygen::generate(&lc_citygen::CityParams::new(2_000, 7));
//! assert!(city.network.node_ids.len() > 1_800);
//! assert_eq!(city.communities.len(), 40);
//! ```
//!
//! **Division codes are synthetic.** They use real district prefixes (for Lanzhou 620102
//! 城关区, 620103 七里河区, 620104 西固区, 620105 安宁区) with made-up street (3-digit) and
//! community (001-199) parts; they do not name real streets or communities.

mod candidates;
mod facilities;
mod fmath;
mod people;
mod rng;
mod streets;

use lc_model::{Category, Community, Facility, LonLat};
use lc_network::RawNetwork;

pub use candidates::{candidates, Candidate, CANDIDATES_PER_100K_NODES};
pub use facilities::{category_spec, CategorySpec, Placement};

/// The real city a synthetic city is placed around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Site {
    /// 兰州 Lanzhou, Gansu: centre 103.834 E 36.061 N, the Yellow River just north of the
    /// centre, division codes of 城关区, 七里河区, 西固区 and 安宁区.
    #[default]
    Lanzhou,
    /// 石家庄 Shijiazhuang, Hebei: centre 114.514 E 38.042 N, the Hutuo River in the north,
    /// division codes of 长安区, 桥西区, 新华区 and 裕华区.
    Shijiazhuang,
}

/// A district: real 6-digit administrative code and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct District {
    /// GB/T 2260 code.
    pub code: &'static str,
    /// Chinese name.
    pub name: &'static str,
}

const LANZHOU_DISTRICTS: &[District] = &[
    District {
        code: "620102",
        name: "城关区",
    },
    District {
        code: "620103",
        name: "七里河区",
    },
    District {
        code: "620104",
        name: "西固区",
    },
    District {
        code: "620105",
        name: "安宁区",
    },
    // Spare prefixes, used only when a district runs out of 3-digit street codes.
    District {
        code: "620111",
        name: "红古区",
    },
    District {
        code: "620121",
        name: "永登县",
    },
    District {
        code: "620122",
        name: "皋兰县",
    },
    District {
        code: "620123",
        name: "榆中县",
    },
];

const SHIJIAZHUANG_DISTRICTS: &[District] = &[
    District {
        code: "130102",
        name: "长安区",
    },
    District {
        code: "130104",
        name: "桥西区",
    },
    District {
        code: "130105",
        name: "新华区",
    },
    District {
        code: "130108",
        name: "裕华区",
    },
    District {
        code: "130107",
        name: "井陉矿区",
    },
    District {
        code: "130109",
        name: "藁城区",
    },
    District {
        code: "130110",
        name: "鹿泉区",
    },
    District {
        code: "130111",
        name: "栾城区",
    },
];

impl Site {
    /// The city centre; the grid is centred on it.
    pub fn center(self) -> LonLat {
        match self {
            Site::Lanzhou => LonLat::new(103.834, 36.061),
            Site::Shijiazhuang => LonLat::new(114.514, 38.042),
        }
    }

    /// The districts whose codes prefix the division codes: four that divide the city, then
    /// spare ones.
    pub fn districts(self) -> &'static [District] {
        match self {
            Site::Lanzhou => LANZHOU_DISTRICTS,
            Site::Shijiazhuang => SHIJIAZHUANG_DISTRICTS,
        }
    }

    /// The river's mean offset from the centre, as a share of the city's north-south extent.
    fn river_offset(self) -> f64 {
        match self {
            Site::Lanzhou => 0.06,
            Site::Shijiazhuang => 0.32,
        }
    }

    /// Which of the first four districts a place belongs to. `fx` is the share of the
    /// east-west extent to the west of it; `north_of_river` and `north` say which side of the
    /// river and of the centre it lies on.
    fn district_of(self, fx: f64, north_of_river: bool, north: bool) -> usize {
        match self {
            // 西固 in the west, 安宁 on the north bank and 七里河 on the south bank in the
            // middle, 城关 in the east.
            Site::Lanzhou => {
                if fx < 0.22 {
                    2
                } else if fx < 0.5 {
                    if north_of_river {
                        3
                    } else {
                        1
                    }
                } else {
                    0
                }
            }
            // Quadrants: 新华 NW, 长安 NE, 桥西 SW, 裕华 SE.
            Site::Shijiazhuang => match (fx < 0.5, north) {
                (true, true) => 2,
                (false, true) => 0,
                (true, false) => 1,
                (false, false) => 3,
            },
        }
    }
}

/// What to generate. Construct with [`CityParams::new`] or `CityParams { nodes, seed,
/// ..Default::default() }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CityParams {
    /// Requested number of nodes; the network has this many, give or take a few percent.
    pub nodes: usize,
    /// Seed: the same parameters always give the same city.
    pub seed: u64,
    /// Number of communities; by default `nodes / 50` (at least 1).
    pub communities: Option<usize>,
    /// The real city to place it around.
    pub site: Site,
    /// East-west extent over north-south extent (valley cities like Lanzhou are elongated).
    pub aspect: f64,
    /// Range of block sizes (distance between neighbouring streets) in metres.
    pub block_m: (f64, f64),
    /// Maximum displacement of a node from its grid position, per axis, in metres.
    pub jitter_m: f64,
    /// Range of the number of blocks between arterials.
    pub arterial_every: (usize, usize),
    /// Whether a river crosses the city (only on grids of at least 40 rows and 20 columns).
    pub river: bool,
    /// Multiplies the facility densities of every category.
    pub facility_density: f64,
    /// Added to node ids; the default, 5,000,000,000, makes every id exceed 2^32.
    pub node_id_offset: i64,
}

impl Default for CityParams {
    fn default() -> Self {
        CityParams {
            nodes: 100_000,
            seed: 1,
            communities: None,
            site: Site::Lanzhou,
            aspect: 2.0,
            block_m: (80.0, 120.0),
            jitter_m: 12.0,
            arterial_every: (8, 10),
            river: true,
            facility_density: 1.0,
            node_id_offset: 5_000_000_000,
        }
    }
}

impl CityParams {
    /// Default parameters with a node count and a seed.
    pub fn new(nodes: usize, seed: u64) -> CityParams {
        CityParams {
            nodes,
            seed,
            ..Default::default()
        }
    }

    /// The number of communities that will be generated (before capping at the nodes
    /// available).
    pub fn community_count(&self) -> usize {
        self.communities.unwrap_or((self.nodes / 50).max(1))
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), CityGenError> {
        let bad = |what: &str| Err(CityGenError::InvalidParams(what.to_string()));
        if self.nodes < MIN_NODES {
            return bad(&format!(
                "节点数至少为 {MIN_NODES}（实为 {0}）nodes must be at least {MIN_NODES} (got {0})",
                self.nodes
            ));
        }
        if self.nodes > MAX_NODES {
            return bad(&format!(
                "节点数至多为 {MAX_NODES}（实为 {0}）nodes must be at most {MAX_NODES} (got {0})",
                self.nodes
            ));
        }
        if !(self.aspect.is_finite() && (0.1..=10.0).contains(&self.aspect)) {
            return bad("长宽比须在 0.1 至 10 之间 aspect must be between 0.1 and 10");
        }
        let (lo, hi) = self.block_m;
        if !(lo.is_finite() && hi.is_finite() && lo >= 10.0 && hi >= lo && hi <= 1_000.0) {
            return bad("街区尺寸须满足 10 <= 最小 <= 最大 <= 1000 米 block sizes must satisfy 10 <= min <= max <= 1000 metres");
        }
        if !(self.jitter_m.is_finite() && self.jitter_m >= 0.0 && self.jitter_m < lo / 2.0) {
            return bad("扰动须不小于 0 且小于最小街区的一半 jitter must be non-negative and less than half the smallest block");
        }
        let (alo, ahi) = self.arterial_every;
        if alo < 3 || ahi < alo || ahi > 100 {
            return bad("干道间隔须满足 3 <= 最小 <= 最大 <= 100 个街区 arterial spacing must satisfy 3 <= min <= max <= 100 blocks");
        }
        if !(self.facility_density.is_finite() && self.facility_density >= 0.0) {
            return bad("设施密度须为不小于 0 的数 facility density must be a non-negative number");
        }
        if self.node_id_offset < 0 || self.node_id_offset > i64::MAX / 2 {
            return bad(
                "节点编号偏移须在 0 至 2^62 之间 the node id offset must be between 0 and 2^62",
            );
        }
        Ok(())
    }
}

/// The smallest accepted node count.
pub const MIN_NODES: usize = 100;
/// The largest accepted node count (node indices are `u32`; memory is the practical limit).
pub const MAX_NODES: usize = 200_000_000;

/// Why a city could not be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CityGenError {
    /// A parameter is out of range.
    #[error("城市参数无效 invalid city parameters: {0}")]
    InvalidParams(String),
}

/// A generated city.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// The walking network (undirected edges, lengths in metres).
    pub network: RawNetwork,
    /// Residential communities, at node positions.
    pub communities: Vec<Community>,
    /// Facilities of every category, at node positions, grouped by category in vocabulary
    /// order.
    pub facilities: Vec<Facility>,
}

impl City {
    /// Total resident population.
    pub fn population(&self) -> f64 {
        self.communities.iter().map(|c| c.population).sum()
    }

    /// Number of facilities per category, in vocabulary order.
    pub fn facility_counts(&self) -> Vec<(Category, usize)> {
        let mut n = vec![0usize; Category::count()];
        for f in &self.facilities {
            n[f.category.index()] += 1;
        }
        Category::all().zip(n).collect()
    }
}

/// Generates a city.
///
/// # Panics
/// If the parameters are invalid (see [`CityParams::validate`]); use [`try_generate`] to get
/// an error instead.
pub fn generate(params: &CityParams) -> City {
    match try_generate(params) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// Generates a city, or says why the parameters are invalid.
pub fn try_generate(params: &CityParams) -> Result<City, CityGenError> {
    params.validate()?;
    let site = params.site;
    let streets = streets::generate(params, site.river_offset());
    let coords = streets.lonlat(site.center());
    let network = streets.raw_network(&coords);
    let main = streets::largest_component(streets.node_count(), &streets.edges);
    let density = Density::new(params, &streets);
    let ctx = Ctx {
        params,
        site,
        streets: &streets,
        coords: &coords,
        main: &main,
        density: &density,
    };
    let placed = people::communities(&ctx);
    let facilities = facilities::facilities(&ctx, &placed);
    Ok(City {
        network,
        communities: placed.communities,
        facilities,
    })
}

/// What the placement steps share.
pub(crate) struct Ctx<'a> {
    pub params: &'a CityParams,
    pub site: Site,
    pub streets: &'a streets::Streets,
    pub coords: &'a [LonLat],
    /// Per node: in the largest connected component.
    pub main: &'a [bool],
    pub density: &'a Density,
}

impl Ctx<'_> {
    /// The street region of a node: 2 x 2 arterial cells (about 2 km square). Regions carry
    /// street codes and the gaps in facility provision.
    pub fn region(&self, node: u32) -> u64 {
        let (r, c) = self.streets.row_col(node);
        let (br, bc) = (self.streets.band_row[r] / 2, self.streets.band_col[c] / 2);
        ((br as u64) << 32) | bc as u64
    }
}

/// Relative urban density in `(0, 1]`: a main centre and a few sub-centres with heavy tails.
pub(crate) struct Density {
    centres: Vec<(f64, f64, f64, f64)>,
}

impl Density {
    fn new(p: &CityParams, s: &streets::Streets) -> Density {
        let mut rng = rng::Rng::new(p.seed, 100);
        let scale = (s.width_m * s.height_m).sqrt();
        let mut centres = vec![(0.0, 0.0, 0.18 * scale, 1.0)];
        let subs = 2 + (p.nodes / 200_000).min(6);
        for _ in 0..subs {
            let x = rng.range(-0.4, 0.4) * s.width_m;
            let y = rng.range(-0.4, 0.4) * s.height_m;
            centres.push((x, y, 0.08 * scale, rng.range(0.5, 0.8)));
        }
        Density { centres }
    }

    /// Density at a position in metres.
    pub fn at(&self, [x, y]: [f64; 2]) -> f64 {
        let mut best: f64 = 0.0;
        for &(cx, cy, sigma, w) in &self.centres {
            let d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (sigma * sigma);
            best = best.max(w / (1.0 + d2));
        }
        0.12 + 0.88 * best
    }
}

#[cfg(test)]
mod tests;

//! Facilities of every category: how many, where, and with what capacity.
//!
//! Counts follow densities per 10,000 residents chosen to resemble a Chinese city (dozens of
//! restaurants and convenience stores, one hospital per ~100,000 people, nursery slots around
//! the national target of 4.5 per 1,000 residents). Placement depends on the kind of facility:
//! neighbourhood services next to communities, shops and clinics on arterial frontage, civic
//! facilities spread with the urban density, rare ones in the centres, metro stations at
//! central arterial junctions. Each street region lacks each category with a
//! category-dependent probability (many regions have no nursery; almost all have a
//! convenience store), which gives the realistic gaps access analysis is meant to find.

use crate::people::Placed;
use crate::rng::{hash_unit, Rng};
use crate::Ctx;
use lc_model::{Category, Facility, CATEGORIES};

const STREAM: u64 = 300;

/// How facilities of a category are placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// Near a community chosen in proportion to population, within this many blocks.
    Near(u8),
    /// On an arterial with this probability, else near a community.
    Arterial(f64),
    /// Anywhere, in proportion to the urban density.
    Spread,
    /// Anywhere, in proportion to the square of the urban density (city centres).
    Central,
    /// At junctions of two arterials in the dense parts of the city.
    Metro,
}

/// How a category is generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategorySpec {
    /// The category key.
    pub key: &'static str,
    /// Facilities per 10,000 residents (before `CityParams::facility_density`).
    pub per_10k: f64,
    /// Where they go.
    pub placement: Placement,
    /// Probability that a street region (about 2 km square) has none.
    pub gap: f64,
    /// Capacity range `(min, max, skew, step)`: `min + (max - min) * u^skew`, rounded to `step`.
    pub capacity: Option<(f64, f64, f64, f64)>,
}

macro_rules! spec {
    ($key:literal, $rate:expr, $place:expr, $gap:expr) => {
        CategorySpec {
            key: $key,
            per_10k: $rate,
            placement: $place,
            gap: $gap,
            capacity: None,
        }
    };
    ($key:literal, $rate:expr, $place:expr, $gap:expr, $cap:expr) => {
        CategorySpec {
            key: $key,
            per_10k: $rate,
            placement: $place,
            gap: $gap,
            capacity: Some($cap),
        }
    };
}

use Placement::{Arterial, Central, Metro, Near, Spread};

/// The table of every category.
const SPECS: &[CategorySpec] = &[
    spec!("nursery", 0.6, Near(3), 0.30, (40.0, 160.0, 1.5, 5.0)),
    spec!("kindergarten", 1.0, Near(4), 0.12, (90.0, 360.0, 1.0, 30.0)),
    spec!(
        "primary_school",
        0.5,
        Spread,
        0.10,
        (900.0, 2_400.0, 1.0, 45.0)
    ),
    spec!(
        "middle_school",
        0.25,
        Spread,
        0.15,
        (800.0, 2_000.0, 1.0, 50.0)
    ),
    spec!("health_station", 1.0, Near(3), 0.15),
    spec!("health_center", 0.2, Spread, 0.15, (10.0, 60.0, 1.0, 5.0)),
    spec!("clinic", 3.0, Arterial(0.5), 0.08),
    spec!("hospital", 0.08, Central, 0.0, (100.0, 1_500.0, 2.0, 10.0)),
    spec!("pharmacy", 3.0, Arterial(0.5), 0.05),
    spec!("elderly_care", 0.35, Spread, 0.30, (30.0, 400.0, 1.5, 10.0)),
    spec!(
        "elderly_day_care",
        0.8,
        Near(3),
        0.30,
        (10.0, 60.0, 1.0, 5.0)
    ),
    spec!("elderly_service_station", 1.0, Near(2), 0.25),
    spec!(
        "community_canteen",
        0.8,
        Near(3),
        0.35,
        (20.0, 120.0, 1.0, 10.0)
    ),
    spec!("community_service_station", 1.8, Near(1), 0.05),
    spec!("community_service_center", 0.25, Spread, 0.15),
    spec!("culture_station", 1.2, Near(2), 0.15),
    spec!("culture_center", 0.2, Central, 0.20),
    spec!("library", 0.3, Central, 0.30),
    spec!("sports", 1.5, Near(4), 0.12),
    spec!("gym", 1.0, Arterial(0.6), 0.15),
    spec!("park", 0.8, Spread, 0.10),
    spec!("micro_fire_station", 0.5, Spread, 0.20),
    spec!("police", 0.3, Spread, 0.05),
    spec!("convenience_store", 6.0, Near(3), 0.02),
    spec!("supermarket", 1.0, Arterial(0.6), 0.08),
    spec!("vegetable_market", 0.5, Near(6), 0.20),
    spec!("fresh_grocery", 2.5, Near(3), 0.08),
    spec!("breakfast", 4.0, Near(3), 0.04),
    spec!("restaurant", 15.0, Arterial(0.5), 0.02),
    spec!("laundry", 1.5, Near(3), 0.10),
    spec!("hairdresser", 4.0, Near(3), 0.04),
    spec!("photo_print", 1.0, Arterial(0.5), 0.15),
    spec!("housekeeping", 0.8, Near(4), 0.20),
    spec!("repair", 1.0, Near(4), 0.15),
    spec!("express_station", 3.0, Near(2), 0.05),
    spec!("bookstore", 0.3, Central, 0.30),
    spec!("shopping_mall", 0.1, Central, 0.30),
    spec!("bank", 1.0, Arterial(0.7), 0.10),
    spec!("post_office", 0.2, Arterial(0.5), 0.20),
    spec!("recycling", 1.0, Near(3), 0.20),
    spec!("waste_collection", 1.5, Near(3), 0.08),
    spec!("public_toilet", 2.5, Spread, 0.08),
    spec!("bus_stop", 5.0, Arterial(0.9), 0.03),
    spec!("metro_station", 0.1, Metro, 0.0),
];

/// Used for a category added to the vocabulary after this table was written.
const FALLBACK: CategorySpec = spec!("", 0.5, Spread, 0.15);

/// How the generator makes facilities of a category.
pub fn category_spec(category: Category) -> CategorySpec {
    let key = category.key();
    explicit_spec(key).unwrap_or(CategorySpec { key, ..FALLBACK })
}

/// The entry of the table for a key, if the table has one.
pub(crate) fn explicit_spec(key: &str) -> Option<CategorySpec> {
    SPECS.iter().find(|s| s.key == key).copied()
}

/// Node pools the placement draws from (all in the largest component).
struct Pools {
    all: Vec<u32>,
    arterial: Vec<u32>,
    metro: Vec<u32>,
    /// Cumulative community populations, for population-weighted choice.
    cum_pop: Vec<f64>,
}

/// `x^(halves / 2)` by repeated multiplication (bit-identical everywhere, unlike `powf`).
fn half_power(x: f64, halves: u32) -> f64 {
    let root = x.sqrt();
    let mut v = 1.0;
    for _ in 0..halves {
        v *= root;
    }
    v
}

/// Draws a node from a pool with probability proportional to `density^power`.
fn weighted(ctx: &Ctx, rng: &mut Rng, pool: &[u32], power: u8) -> u32 {
    for _ in 0..1_000 {
        let n = pool[rng.below(pool.len())];
        let d = ctx.density.at(ctx.streets.xy[n as usize]);
        if rng.chance(half_power(d, 2 * power as u32)) {
            return n;
        }
    }
    pool[rng.below(pool.len())]
}

fn near(ctx: &Ctx, rng: &mut Rng, pools: &Pools, placed: &Placed, radius: u8) -> u32 {
    let total = *pools.cum_pop.last().unwrap();
    let x = rng.unit() * total;
    let i = pools
        .cum_pop
        .partition_point(|&c| c <= x)
        .min(placed.nodes.len() - 1);
    let home = placed.nodes[i];
    let (r, c) = ctx.streets.row_col(home);
    let rad = radius as usize;
    for _ in 0..8 {
        let dr = rng.below(2 * rad + 1) as isize - rad as isize;
        let dc = rng.below(2 * rad + 1) as isize - rad as isize;
        if let Some(n) = ctx.streets.at(r as isize + dr, c as isize + dc) {
            if ctx.main[n as usize] {
                return n;
            }
        }
    }
    home
}

fn place(ctx: &Ctx, rng: &mut Rng, pools: &Pools, placed: &Placed, how: Placement) -> u32 {
    let has_communities = !placed.nodes.is_empty();
    match how {
        Near(r) if has_communities => near(ctx, rng, pools, placed, r),
        Arterial(p) if rng.chance(p) && !pools.arterial.is_empty() => {
            weighted(ctx, rng, &pools.arterial, 1)
        }
        Arterial(_) if has_communities => near(ctx, rng, pools, placed, 3),
        Central => weighted(ctx, rng, &pools.all, 2),
        Metro if !pools.metro.is_empty() => pools.metro[rng.below(pools.metro.len())],
        Metro if !pools.arterial.is_empty() => weighted(ctx, rng, &pools.arterial, 3),
        _ => weighted(ctx, rng, &pools.all, 1),
    }
}

/// Places the facilities of every category, in vocabulary order.
pub(crate) fn facilities(ctx: &Ctx, placed: &Placed) -> Vec<Facility> {
    let s = ctx.streets;
    let all: Vec<u32> = (0..s.node_count() as u32)
        .filter(|&n| ctx.main[n as usize])
        .collect();
    if all.is_empty() {
        return Vec::new();
    }
    let arterial: Vec<u32> = all
        .iter()
        .copied()
        .filter(|&n| s.arterial[n as usize])
        .collect();
    let metro: Vec<u32> = all
        .iter()
        .copied()
        .filter(|&n| s.junction[n as usize] && ctx.density.at(s.xy[n as usize]) >= 0.5)
        .collect();
    let mut acc = 0.0;
    let cum_pop: Vec<f64> = placed
        .communities
        .iter()
        .map(|c| {
            acc += c.population;
            acc
        })
        .collect();
    let population = acc;
    let pools = Pools {
        all,
        arterial,
        metro,
        cum_pop,
    };

    let mut out = Vec::new();
    for (ci, cat) in Category::all().enumerate() {
        let spec = category_spec(cat);
        let mut rng = Rng::new(ctx.params.seed, STREAM + ci as u64);
        let want = (spec.per_10k * population / 10_000.0 * ctx.params.facility_density).round();
        let want = (want as usize).max(1);
        let short = CATEGORIES[ci]
            .zh
            .split('/')
            .next()
            .unwrap_or(CATEGORIES[ci].zh);
        for k in 0..want {
            // Retry while the chosen region lacks the category (keeping the last try).
            let mut node = place(ctx, &mut rng, &pools, placed, spec.placement);
            for _ in 0..30 {
                let region = ctx.region(node);
                if hash_unit(ctx.params.seed, region, ci as u64) >= spec.gap {
                    break;
                }
                node = place(ctx, &mut rng, &pools, placed, spec.placement);
            }
            let capacity = spec.capacity.map(|(lo, hi, skew, step)| {
                let v = lo + (hi - lo) * half_power(rng.unit(), (2.0 * skew).round() as u32);
                ((v / step).round() * step).max(step)
            });
            out.push(Facility {
                id: String::new(),
                name: format!("{short}{}", k + 1),
                category: cat,
                pos: ctx.coords[node as usize],
                capacity,
                floor_area_m2: None,
                provider_code: None,
                division_code: None,
            });
        }
    }
    for (i, f) in out.iter_mut().enumerate() {
        f.id = format!("F{:07}", i + 1);
    }
    out
}

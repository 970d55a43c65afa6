//! Hand-worked cases: a straight street 26 km long with a node every 10 m; a community or a
//! facility "at x" sits on the node x metres from the start, so walking distances are plain
//! differences of positions. Each test works out its answer in its comments.

use super::*;
use lc_access::{compute_access, Targets};
use lc_model::{Category, Community, Facility, LonLat};
use lc_network::{Anchor, BuildOptions, Graph, RawEdge, RawNetwork};
use lc_standards::{shipped_plans, shipped_standards, RegionLevel};

const STEP: f64 = 10.0;
const NODES: usize = 2601;

fn line_graph() -> Graph {
    let raw = RawNetwork {
        node_ids: (0..NODES as i64).collect(),
        // 10 m of longitude at the equator is about 0.0000898°: positions only matter for maps.
        coords: (0..NODES)
            .map(|i| LonLat::new(i as f64 * 0.0000898, 0.0))
            .collect(),
        edges: (0..NODES as u32 - 1)
            .map(|i| RawEdge {
                from: i,
                to: i + 1,
                length_m: STEP,
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

#[derive(Default)]
struct World {
    comms: Vec<(Community, f64)>,
    facs: Vec<(Facility, f64)>,
    /// Ids of communities that are not on the network (too far from any way).
    off: Vec<String>,
    /// The platform's indicator file, if given.
    platform: Option<lc_model::PlatformIndicators>,
}

/// The position of the node `at` metres along the street (10 m ≈ 0.0000898° at the equator),
/// so that straight-line nearness follows the street.
fn pos_at(at: f64) -> LonLat {
    LonLat::new(at / STEP * 0.0000898, 0.0)
}

impl World {
    fn comm(&mut self, id: &str, code: &str, at: f64, pop: f64, hh: Option<f64>) -> &mut Self {
        self.comms.push((
            Community {
                id: id.into(),
                name: format!("社区 {id}"),
                pos: pos_at(at),
                population: pop,
                households: hh,
                elderly: Some(pop * 0.2),
                children_0_3: Some(pop * 0.02),
                division_code: (!code.is_empty()).then(|| code.to_string()),
            },
            at,
        ));
        self
    }

    fn fac(&mut self, cat: &str, at: f64, capacity: Option<f64>, area: Option<f64>) -> &mut Self {
        let n = self.facs.len();
        self.facs.push((
            Facility {
                id: format!("F{n:03}"),
                name: cat.into(),
                category: Category::from_key(cat).unwrap(),
                pos: pos_at(at),
                capacity,
                floor_area_m2: area,
                provider_code: None,
                division_code: None,
            },
            at,
        ));
        self
    }

    /// The last facility added stands in the region `code` (its division code).
    fn in_region(&mut self, code: &str) -> &mut Self {
        if let Some(f) = self.facs.last_mut() {
            f.0.division_code = Some(code.to_string());
        }
        self
    }

    /// The community `id` cannot be placed on the network.
    fn off_network(&mut self, id: &str) -> &mut Self {
        self.off.push(id.to_string());
        self
    }

    fn run_with(&self, standards: &[Standard], plans: &[Plan]) -> Assessment {
        let g = line_graph();
        let node = |at: f64| {
            let k = (at / STEP).round() as i64;
            let idx = g.node_ids().iter().position(|&id| id == k).unwrap() as u32;
            Some(Anchor::at_node(&g, idx, 0.0))
        };
        let communities: Vec<Community> = self.comms.iter().map(|c| c.0.clone()).collect();
        let facilities: Vec<Facility> = self.facs.iter().map(|f| f.0.clone()).collect();
        let placed: Vec<bool> = self
            .comms
            .iter()
            .map(|c| !self.off.contains(&c.0.id))
            .collect();
        let src: Vec<Option<Anchor>> = self
            .comms
            .iter()
            .zip(&placed)
            .map(|(c, &on)| if on { node(c.1) } else { None })
            .collect();
        let fa: Vec<Option<Anchor>> = self.facs.iter().map(|f| node(f.1)).collect();
        let cats: Vec<u16> = facilities
            .iter()
            .map(|f| f.category.index() as u16)
            .collect();
        // Equal distances are ordered by facility id, as the command does.
        let mut order: Vec<usize> = (0..facilities.len()).collect();
        order.sort_by(|&x, &y| facilities[x].id.cmp(&facilities[y].id));
        let mut tie = vec![0u32; facilities.len()];
        for (r, &i) in order.iter().enumerate() {
            tie[i] = r as u32;
        }
        let targets = Targets::new(&g, &fa, &cats, &tie, Category::count());
        let ap = AccessPlan::new(standards, plans, 1500.0);
        let access = compute_access(&g, &targets, &src, &ap.config(), &|_| {});
        let facilities = lc_model::FacilityList::from(facilities);
        let input = Input {
            communities: &communities,
            facilities: &facilities,
            placed: &placed,
            access: &access,
            platform: self.platform.as_ref(),
        };
        assess(standards, plans, &ap, &input, &Divisions::new())
    }

    fn run(&self) -> (Assessment, Vec<Standard>, Vec<Plan>) {
        let s = shipped_standards().unwrap();
        let p = shipped_plans().unwrap();
        let a = self.run_with(&s, &p);
        (a, s, p)
    }
}

fn req_index(a: &Assessment, s: &[Standard], std_id: &str, req_id: &str) -> usize {
    a.requirements
        .iter()
        .position(|r| {
            s[r.standard].id == std_id && s[r.standard].requirements[r.requirement].id == req_id
        })
        .unwrap_or_else(|| panic!("{std_id}/{req_id}"))
}

/// The row of an indicator at a level (the first region at that level).
fn row<'a>(
    a: &'a Assessment,
    p: &[Plan],
    ind: &str,
    level: RegionLevel,
    region: &str,
) -> &'a IndicatorRow {
    a.indicators
        .iter()
        .find(|r| {
            p[r.plan].indicators[r.indicator].id == ind && r.level == level && r.region == region
        })
        .unwrap_or_else(|| panic!("no row {ind} {level:?} {region}"))
}

fn all<'a>(a: &'a Assessment, p: &[Plan], ind: &str) -> &'a IndicatorRow {
    row(a, p, ind, RegionLevel::All, "")
}

fn close(v: Option<f64>, want: f64) {
    let v = v.expect("a value");
    assert!((v - want).abs() < 1e-9, "{v} != {want}");
}

// ----------------------------------------------------------------------------------------------
// Standards.

/// GB 50180-2018 5-minute kindergarten (300 m): A's kindergarten is 290 m away (met), B's 310 m
/// (a shortcoming, nearest 310 m), C's exactly 300 m (met: within is ≤).
#[test]
fn kindergarten_within_300_m() {
    let mut w = World::default();
    w.comm("A", "", 0.0, 5000.0, None)
        .fac("kindergarten", 290.0, None, None)
        .comm("B", "", 5000.0, 8000.0, None)
        .fac("kindergarten", 5310.0, None, None)
        .comm("C", "", 10000.0, 3000.0, None)
        .fac("kindergarten", 10300.0, None, None);
    let (a, s, _) = w.run();
    let r = req_index(&a, &s, "GB50180-2018", "5min.kindergarten");
    assert_eq!(a.check(0, r).state, CheckState::Met);
    assert_eq!(a.check(0, r).nearest_m(), Some(290.0));
    assert_eq!(a.check(1, r).state, CheckState::Short);
    assert_eq!(a.check(1, r).nearest_m(), Some(310.0));
    assert_eq!(a.check(1, r).count, 0);
    assert_eq!(a.check(2, r).state, CheckState::Met);
    let short: Vec<usize> = a
        .shortcomings
        .iter()
        .filter(|x| x.requirement == r)
        .map(|x| x.community)
        .collect();
    assert_eq!(short, vec![1]);
}

/// A local standard asking for two pharmacies within 500 m: one at 100 m and one at 400 m meet
/// it; a single one does not. Recommended requirements are reported but not counted.
#[test]
fn min_count_and_recommended() {
    let text = r#"
[standard]
id = "LOCAL"
name_zh = "本地"
name_en = "Local"
source = "test"

[[requirement]]
id = "two_pharmacies"
categories = ["pharmacy"]
distance_m = 500
min_count = 2
name_zh = "两家药店"
name_en = "Two pharmacies"
status = "V"
source = "test"

[[requirement]]
id = "bookstore"
categories = ["bookstore"]
distance_m = 500
obligation = "recommended"
name_zh = "书店"
name_en = "Bookstore"
status = "U"
source = "test"
"#;
    let s = vec![lc_standards::parse_standard("local.toml", text).unwrap()];
    let mut w = World::default();
    w.comm("A", "", 0.0, 1000.0, None)
        .fac("pharmacy", 100.0, None, None)
        .fac("pharmacy", 400.0, None, None)
        .comm("B", "", 5000.0, 2000.0, None)
        .fac("pharmacy", 5100.0, None, None);
    let a = w.run_with(&s, &[]);
    assert_eq!(a.check(0, 0).state, CheckState::Met);
    assert_eq!(a.check(0, 0).count, 2);
    assert_eq!(a.check(1, 0).state, CheckState::Short);
    assert_eq!(a.check(1, 0).count, 1);
    // Both lack a bookstore: recommended, so not in the required counts.
    assert_eq!(a.status[0].required, 1);
    assert_eq!(a.status[0].met, 1);
    assert_eq!(a.status[0].short_recommended, 1);
    assert_eq!(a.status[1].short_required, 1);
    // Ranking: B (2000 people × 1 shortcoming) before A (0).
    assert_eq!(a.ranking, vec![1, 0]);
    assert_eq!(a.status[1].score, 2000.0);
    assert_eq!(a.shortcomings.len(), 3);
    assert_eq!(a.shortcomings[0].community, 1);
}

/// MOFCOM 8-minute tier = 480 m: a pharmacy at 480 m meets it, at 490 m does not.
#[test]
fn mofcom_pharmacy_tier() {
    let mut w = World::default();
    w.comm("A", "", 0.0, 1000.0, None)
        .fac("pharmacy", 480.0, None, None)
        .comm("B", "", 5000.0, 1000.0, None)
        .fac("pharmacy", 5490.0, None, None);
    let (a, s, _) = w.run();
    let r = req_index(&a, &s, "MOFCOM-15MIN", "basic.pharmacy");
    assert_eq!(a.check(0, r).state, CheckState::Met);
    assert_eq!(a.check(1, r).state, CheckState::Short);
}

/// Complete community: 30 m² of service floor area per 100 households, stations shared within
/// 300 m in proportion to households.
/// - A (1000 hh) at 0 and B (1000 hh) at 200 share a 600 m² station at 100: 300 m² each,
///   30 m² per 100 hh: both met (exactly at the threshold).
/// - C (1000 hh) at 5000 and D (2000 hh) at 5200 share a 600 m² station at 5100: C gets
///   600 × 1000/3000 = 200 m² (20 per 100 hh), D 400 m² for 2000 hh (20): both short.
/// - E has no households figure: not computable. F's only station has no floor area: not
///   computable. G has no station within 300 m: 0, short.
#[test]
fn service_area_per_100_households() {
    let mut w = World::default();
    w.comm("A", "", 0.0, 3000.0, Some(1000.0))
        .comm("B", "", 200.0, 3000.0, Some(1000.0))
        .fac("community_service_station", 100.0, None, Some(600.0))
        .comm("C", "", 5000.0, 3000.0, Some(1000.0))
        .comm("D", "", 5200.0, 6000.0, Some(2000.0))
        .fac("community_service_station", 5100.0, None, Some(600.0))
        .comm("E", "", 8000.0, 3000.0, None)
        .fac("community_service_station", 8100.0, None, Some(500.0))
        .comm("F", "", 11000.0, 3000.0, Some(900.0))
        .fac("community_service_station", 11100.0, None, None)
        .comm("G", "", 15000.0, 3000.0, Some(900.0));
    let (a, s, _) = w.run();
    let r = req_index(&a, &s, "COMPLETE-COMMUNITY", "area.service_per_100hh");
    let st: Vec<CheckState> = (0..7).map(|c| a.check(c, r).state).collect();
    use CheckState::*;
    assert_eq!(
        st,
        vec![Met, Met, Short, Short, NotComputable, NotComputable, Short]
    );
    close(a.check(0, r).ratio(), 30.0);
    close(a.check(2, r).ratio(), 20.0);
    close(a.check(3, r).ratio(), 20.0);
    close(a.check(6, r).ratio(), 0.0);
    assert_eq!(a.check(4, r).ratio(), None);
    // The five basic facilities: A has only a service station within 300 m.
    let basics = [
        "basic.kindergarten",
        "basic.nursery",
        "basic.health_station",
    ];
    for b in basics {
        let i = req_index(&a, &s, "COMPLETE-COMMUNITY", b);
        assert_eq!(a.check(0, i).state, Short, "{b}");
    }
    let i = req_index(&a, &s, "COMPLETE-COMMUNITY", "basic.service_station");
    assert_eq!(a.check(0, i).state, Met);
}

// ----------------------------------------------------------------------------------------------
// Targets. Codes: 62 Gansu, 13 Hebei, 23 Heilongjiang, 14 Shanxi. Committee 001–199 urban,
// 200–399 rural. Communities of different tests' regions lie ≥ 5 km apart.

/// GS04 (Gansu ≥ 4.5 slots per 1000 people) and HE06 (Hebei ≥ 4.1).
/// Gansu community of 10,000 people with a 40-slot nursery: 4.0 per 1000, fails 4.5.
/// Hebei community of 10,000 with 40 slots: 4.0, fails 4.1; a second Hebei community of
/// 10,000 with 44 slots makes the Hebei total 84 / 20,000 = 4.2: passes 4.1, while that
/// community's own street (4.4) passes and the first one's (4.0) fails.
#[test]
fn childcare_slots_per_1000() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 10000.0, None)
        .fac("nursery", 100.0, Some(40.0), None)
        .comm("H1", "130102001001", 5000.0, 10000.0, None)
        .fac("nursery", 5100.0, Some(40.0), None);
    let (a, _, p) = w.run();
    let gs = all(&a, &p, "GS04");
    close(gs.value, 4.0);
    assert_eq!(gs.met, Some(false));
    close(gs.gap, 0.5);
    assert_eq!(gs.scope, Scope::Own);
    assert_eq!(gs.communities, 1, "only the Gansu community");
    let he = all(&a, &p, "HE06");
    close(he.value, 4.0);
    assert_eq!(he.met, Some(false));
    // Nothing else about slots passes: every ratio on nursery capacity fails at 4.0.
    for r in a.indicators.iter().filter(|r| {
        matches!(&p[r.plan].indicators[r.indicator].kind,
            IndicatorKind::Ratio { categories, .. } if categories.iter().any(|c| c.key() == "nursery"))
    }) {
        assert_eq!(r.met, Some(false), "{}", p[r.plan].indicators[r.indicator].id);
    }

    w.comm("H2", "130102002001", 10000.0, 10000.0, None)
        .fac("nursery", 10100.0, Some(44.0), None);
    let (a, _, p) = w.run();
    let he = all(&a, &p, "HE06");
    close(he.value, 4.2);
    assert_eq!(he.met, Some(true));
    assert_eq!(
        row(&a, &p, "HE06", RegionLevel::Street, "130102001").met,
        Some(false)
    );
    close(
        row(&a, &p, "HE06", RegionLevel::Street, "130102002").value,
        4.4,
    );
    close(row(&a, &p, "HE06", RegionLevel::Province, "13").value, 4.2);
    close(all(&a, &p, "GS04").value, 4.0);
}

use lc_standards::IndicatorKind;

/// CN01, GS23 and HE11: 80%以上 of communities, and 以上 includes the value, so ≥ 80 %
/// (001: 「逐步覆蓋80%以上社區(qū)」; 002: 「逐步覆盖80%以上社区」; 000's "more than 80%" translates
/// the same 以上). Five urban Hebei communities, four with a canteen and a day-care centre within
/// 300 m, the fifth with a canteen only: exactly 80 %, met by all three. GS23 has no Gansu
/// community, so it is computed as a reference over all of them.
#[test]
fn meal_and_home_care_coverage() {
    let mut w = World::default();
    for k in 0..5 {
        let x = k as f64 * 5000.0;
        w.comm(
            &format!("H{k}"),
            &format!("13010200100{}", k + 1),
            x,
            1000.0,
            None,
        )
        .fac("community_canteen", x + 100.0, None, None);
        if k < 4 {
            w.fac("elderly_day_care", x + 300.0, None, None);
        }
    }
    let (a, _, p) = w.run();
    for id in ["CN01", "GS23", "HE11"] {
        let r = all(&a, &p, id);
        close(r.value, 80.0);
        assert_eq!(r.met, Some(true), "{id}: 80 % meets 80%以上");
    }
    assert_eq!(all(&a, &p, "GS23").scope, Scope::Reference);
    assert_eq!(all(&a, &p, "HE11").scope, Scope::Own);
    // GS22 needs all four services: none has a health station or care home within reach.
    close(all(&a, &p, "GS22").value, 0.0);
}

/// GS22: all four home-care services. One Gansu community with a day-care centre (300 m), a
/// canteen (200 m), a care home (900 m) and a health station (1000 m): covered; a second with
/// everything but the health station: not. 50 %, fails 100 %.
#[test]
fn home_care_all_four() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 1000.0, None)
        .fac("elderly_day_care", 300.0, None, None)
        .fac("community_canteen", 200.0, None, None)
        .fac("elderly_care", 900.0, Some(50.0), None)
        .fac("health_station", 1000.0, None, None)
        .comm("G2", "620102001002", 5000.0, 1000.0, None)
        .fac("elderly_day_care", 5300.0, None, None)
        .fac("community_canteen", 5200.0, None, None)
        .fac("elderly_care", 5900.0, Some(50.0), None);
    let (a, _, p) = w.run();
    let r = all(&a, &p, "GS22");
    close(r.value, 50.0);
    assert_eq!(r.met, Some(false));
    assert_eq!((r.numerator, r.denominator), (1.0, 2.0));
}

/// GS03 (≥ 50 %) and HL05 (> 50 %): two communities, one with a nursery at 300 m, the other's at
/// 310 m: 50 %. Gansu's is met, Heilongjiang's (reference) is not.
#[test]
fn childcare_coverage() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 1000.0, None)
        .fac("nursery", 300.0, Some(10.0), None)
        .comm("G2", "620102001002", 5000.0, 1000.0, None)
        .fac("nursery", 5310.0, Some(10.0), None);
    let (a, _, p) = w.run();
    close(all(&a, &p, "GS03").value, 50.0);
    assert_eq!(all(&a, &p, "GS03").met, Some(true));
    close(all(&a, &p, "HL05").value, 50.0);
    assert_eq!(all(&a, &p, "HL05").met, Some(false));
    assert_eq!(all(&a, &p, "HL05").scope, Scope::Reference);
}

/// GS12 (rural ≥ 80 %) and GS13 (urban 100 %): urban U1 has a service station at 100 m, urban U2
/// none; rural R1 and R2 both have one. Urban 50 % (fails), rural 100 % (met). HE10 (rural
/// ≥ 70 %, elderly service station) — R1 only: 50 %, fails; HL04 (rural ≥ 80 %, elderly
/// facility within 1000 m) — R1 and R2 (care home at 900 m): 100 %, met. HL03 (urban 100 %):
/// U1 has an elderly service station: 50 %, fails. HE09 (day care, all communities): none: 0 %.
#[test]
fn urban_and_rural_coverage() {
    let mut w = World::default();
    w.comm("U1", "620102001001", 0.0, 1000.0, None)
        .fac("community_service_station", 100.0, None, Some(100.0))
        .fac("elderly_service_station", 150.0, None, None)
        .comm("U2", "620102001002", 5000.0, 1000.0, None)
        .comm("R1", "620102101201", 10000.0, 1000.0, None)
        .fac("community_service_station", 10100.0, None, Some(100.0))
        .fac("elderly_service_station", 10200.0, None, None)
        .comm("R2", "620102101202", 15000.0, 1000.0, None)
        .fac("community_service_center", 15300.0, None, Some(100.0))
        .fac("elderly_care", 15900.0, Some(30.0), None);
    let (a, _, p) = w.run();
    let r13 = all(&a, &p, "GS13");
    close(r13.value, 50.0);
    assert_eq!((r13.met, r13.denominator), (Some(false), 2.0));
    let r12 = all(&a, &p, "GS12");
    close(r12.value, 100.0);
    assert_eq!(r12.met, Some(true));
    close(all(&a, &p, "HE10").value, 50.0);
    assert_eq!(all(&a, &p, "HE10").met, Some(false));
    close(all(&a, &p, "HL04").value, 100.0);
    assert_eq!(all(&a, &p, "HL04").met, Some(true));
    close(all(&a, &p, "HL03").value, 50.0);
    close(all(&a, &p, "HE09").value, 0.0);
    assert_eq!(all(&a, &p, "HE09").met, Some(false));
}

/// GS15 (≥ 30 m² per 100 households): a 300 m² station 100 m from a community of 1000
/// households: 30, met; a second street whose 900-household community has a 200 m² station:
/// 22.2, fails; the district: 500 m² / 1900 hh × 100 = 26.3, fails.
#[test]
fn service_area_indicator() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 3000.0, Some(1000.0))
        .fac("community_service_station", 100.0, None, Some(300.0))
        .comm("G2", "620102002001", 5000.0, 2500.0, Some(900.0))
        .fac("community_service_station", 5100.0, None, Some(200.0));
    let (a, _, p) = w.run();
    close(
        row(&a, &p, "GS15", RegionLevel::Street, "620102001").value,
        30.0,
    );
    assert_eq!(
        row(&a, &p, "GS15", RegionLevel::Street, "620102001").met,
        Some(true)
    );
    close(
        row(&a, &p, "GS15", RegionLevel::Street, "620102002").value,
        200.0 / 900.0 * 100.0,
    );
    let d = row(&a, &p, "GS15", RegionLevel::District, "620102");
    close(d.value, 500.0 / 1900.0 * 100.0);
    assert_eq!(d.met, Some(false));
}

/// GS08 (≥ 8 beds per 1000): a hospital of 60 beds and a health centre of 20 beds near a
/// community of 10,000: 8.0, met. GS18 (≥ 992.7 m² of culture per 10,000): a 900 m² culture
/// station and a 90 m² library: 990, fails. GS19 (≥ 2.5 m² sports per person) and HE14 (≥ 2.6,
/// reference): 25,500 m² of sports ground: 2.55: Gansu met, Hebei not.
#[test]
fn beds_culture_and_sports_per_person() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 10000.0, Some(3500.0))
        .fac("hospital", 1200.0, Some(60.0), None)
        .fac("health_center", 800.0, Some(20.0), None)
        .fac("culture_station", 200.0, None, Some(900.0))
        .fac("library", 600.0, None, Some(90.0))
        .fac("sports", 400.0, None, Some(25500.0));
    let (a, _, p) = w.run();
    close(all(&a, &p, "GS08").value, 8.0);
    assert_eq!(all(&a, &p, "GS08").met, Some(true));
    close(all(&a, &p, "GS18").value, 990.0);
    assert_eq!(all(&a, &p, "GS18").met, Some(false));
    close(all(&a, &p, "GS19").value, 2.55);
    assert_eq!(all(&a, &p, "GS19").met, Some(true));
    close(all(&a, &p, "HE14").value, 2.55);
    assert_eq!(all(&a, &p, "HE14").met, Some(false));
}

/// A sports ground without an area and nothing else: GS19 is not computable, not 0.
#[test]
fn unknown_area_is_not_computable() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 10000.0, None)
        .fac("sports", 400.0, None, None);
    let (a, _, p) = w.run();
    let r = all(&a, &p, "GS19");
    assert_eq!((r.value, r.met), (None, None));
    assert!(r.note.contains("not computable"), "{}", r.note);
}

/// GS09 (≥ 50 % of streets; 「乡镇(街道)具备综合功能的养老服务机构覆盖率达到50%」) and HE08 (≥ 60 %,
/// reference): "the street has one" is where the care home stands (issue 22 item 4), not who
/// walks to it. Four Gansu streets of one community each; care homes stand in street 1 (its own
/// code), street 3 (no code: the nearest community, S3 at 10 km, places it) and street 4 (16010,
/// no code, nearest S4 at 15 km): 3 of 4 streets have one, 75 %, met. By walking, S1 reaches its
/// home at 1000 m, S3 at 900 m, S4 not (1010 m > 1000 m): 2 of 4, 50 %.
#[test]
fn streets_with_elderly_care_count_where_the_home_stands() {
    let mut w = World::default();
    w.comm("S1", "620102001001", 0.0, 1000.0, None)
        .fac("elderly_care", 1000.0, Some(40.0), None)
        .in_region("620102001001")
        .comm("S2", "620102002001", 5000.0, 1000.0, None)
        .comm("S3", "620103003001", 10000.0, 1000.0, None)
        .fac("elderly_care", 10900.0, Some(40.0), None)
        .comm("S4", "620104004001", 15000.0, 1000.0, None)
        .fac("elderly_care", 16010.0, Some(40.0), None);
    let (a, _, p) = w.run();
    let g = all(&a, &p, "GS09");
    close(g.value, 75.0);
    assert_eq!((g.numerator, g.denominator, g.met), (3.0, 4.0, Some(true)));
    assert_eq!(g.basis, Basis::Supply);
    close(g.walking_value, 50.0);
    assert!(
        g.note
            .contains("2 facilities without a division code placed by the nearest community"),
        "{}",
        g.note
    );
    // HE08 (≥ 60 %, a reference for Gansu) is met at 75 % too.
    assert_eq!(all(&a, &p, "HE08").met, Some(true));
    // At district level: street coverage inside district 620102 is 1 of 2.
    close(
        row(&a, &p, "GS09", RegionLevel::District, "620102").value,
        50.0,
    );
}

/// HE07 (「每县至少建成1所…（敬老院）」) and SX01 (「实现每个县有一所综合性养老机构」): the sentences say
/// 每县 / 每个县 in paragraphs on rural elderly care, so counties count and city districts (市辖区,
/// code digits 5–6 01–20) do not (issue 22 item 3). Gansu: county 620121 has a care home, county
/// 620122 has none, city district 620102 has none: 1 of 2 counties, 50 %, fails; counting the
/// district too would give 1 of 3. Then a home in 620122 makes every county covered: 100 %, met,
/// although the city district still has none.
#[test]
fn every_county_counts_counties_not_city_districts() {
    let mut w = World::default();
    w.comm("C1", "620121001201", 0.0, 1000.0, None)
        .fac("elderly_care", 500.0, Some(40.0), None)
        .in_region("620121001201")
        .comm("C2", "620122001201", 5000.0, 1000.0, None)
        .comm("D1", "620102001001", 10000.0, 1000.0, None);
    let (a, _, p) = w.run();
    for id in ["HE07", "SX01"] {
        let r = all(&a, &p, id);
        assert_eq!((r.numerator, r.denominator), (1.0, 2.0), "{id}");
        assert_eq!(r.met, Some(false), "{id}");
        assert!(
            r.note.contains("1 district not counted"),
            "{id}: {}",
            r.note
        );
    }
    w.fac("elderly_care", 5200.0, Some(30.0), None)
        .in_region("620122001201");
    let (a, _, p) = w.run();
    for id in ["HE07", "SX01"] {
        let r = all(&a, &p, id);
        close(r.value, 100.0);
        assert_eq!(r.met, Some(true), "{id}");
    }
}

/// HL07: streets of ≥ 30,000 people need a community health centre within 1000 m of one of
/// their communities. Street A (30,000) has one, street B (40,000) does not, street C (10,000,
/// not counted) does not: 1 of 2, 50 %, fails 100 %.
#[test]
fn big_streets_with_health_centres() {
    let mut w = World::default();
    w.comm("A1", "230102001001", 0.0, 20000.0, None)
        .comm("A2", "230102001002", 2000.0, 10000.0, None)
        .fac("health_center", 2900.0, Some(10.0), None)
        .comm("B1", "230102002001", 7000.0, 40000.0, None)
        .comm("C1", "230102003001", 12000.0, 10000.0, None);
    let (a, _, p) = w.run();
    let r = all(&a, &p, "HL07");
    assert_eq!((r.numerator, r.denominator), (1.0, 2.0));
    assert_eq!(r.met, Some(false));
}

/// HL01: ~250,000 elderly-care beds in the province. One care home of 250,000 beds (the test's
/// whole province) meets it; 249,999 does not. HL02: communities meeting every MOFCOM basic
/// requirement ≥ 90 % ("more than 90%" translates 以上): one of two does: 50 %, fails.
#[test]
fn province_beds_and_convenient_circles() {
    let mut w = World::default();
    w.comm("H1", "230102001001", 0.0, 10000.0, None).fac(
        "elderly_care",
        100.0,
        Some(249_999.0),
        None,
    );
    let (a, _, p) = w.run();
    close(
        row(&a, &p, "HL01", RegionLevel::Province, "23").value,
        249_999.0,
    );
    assert_eq!(all(&a, &p, "HL01").met, Some(false));
    w.facs[0].0.capacity = Some(250_000.0);
    let (a, _, p) = w.run();
    assert_eq!(all(&a, &p, "HL01").met, Some(true));

    let mut w = World::default();
    let basics: &[(&str, f64)] = &[
        ("convenience_store", 300.0),
        ("restaurant", 480.0),
        ("pharmacy", 480.0),
        ("laundry", 480.0),
        ("hairdresser", 480.0),
        ("vegetable_market", 480.0),
        ("supermarket", 900.0),
        ("repair", 900.0),
        ("community_service_center", 900.0),
        ("sports", 900.0),
        ("photo_print", 900.0),
        ("housekeeping", 900.0),
        ("express_station", 900.0),
        ("recycling", 900.0),
    ];
    w.comm("H1", "230102001001", 0.0, 1000.0, None).comm(
        "H2",
        "230102001002",
        5000.0,
        1000.0,
        None,
    );
    for (cat, d) in basics {
        w.fac(cat, *d, None, None);
        if *cat != "pharmacy" {
            w.fac(cat, 5000.0 + d, None, None);
        }
    }
    let (a, _, p) = w.run();
    let r = all(&a, &p, "HL02");
    close(r.value, 50.0);
    assert_eq!(r.met, Some(false));
}

/// Roll-ups: three levels of one Gansu community, and a community without a code counted only in
/// the whole area.
#[test]
fn roll_up_levels_and_unknown_codes() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 1000.0, None)
        .fac("nursery", 100.0, Some(5.0), None)
        .comm("X", "", 5000.0, 1000.0, None)
        .comm("Y", "62abc", 10000.0, 1000.0, None);
    let (a, _, p) = w.run();
    // CN01 is national and counts urban communities (its sentence is about big cities): of the
    // three communities only G1 has an urban committee code (001–199); X and Y have no valid
    // code, so nothing says they are urban. G1 counts in the whole area and in each region below.
    assert_eq!(all(&a, &p, "CN01").communities, 1);
    for (level, code) in [
        (RegionLevel::Province, "62"),
        (RegionLevel::City, "6201"),
        (RegionLevel::District, "620102"),
        (RegionLevel::Street, "620102001"),
    ] {
        assert_eq!(row(&a, &p, "CN01", level, code).communities, 1);
    }
    assert_eq!(a.unknown_codes, vec!["62abc".to_string()]);
    // GS04 (Gansu): the only valid Gansu code is G1.
    assert_eq!(all(&a, &p, "GS04").communities, 1);
    close(all(&a, &p, "GS04").value, 5.0);
}

/// Results do not depend on the order of the input files: the same world with communities and
/// facilities in reverse order gives the same indicator values and the same shortcomings.
#[test]
fn input_order_does_not_matter() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 3000.0, Some(1000.0))
        .fac("community_service_station", 100.0, None, Some(300.0))
        .fac("nursery", 150.0, Some(12.0), None)
        .comm("G2", "620102002001", 400.0, 2500.0, Some(900.0))
        .fac("elderly_care", 900.0, Some(40.0), None)
        .comm("G3", "620103001201", 5000.0, 4000.0, None)
        .fac("nursery", 5290.0, Some(20.0), None)
        .fac("kindergarten", 5300.0, None, None);
    let (a, s, p) = w.run();
    let mut rev = World::default();
    rev.comms = w.comms.iter().rev().cloned().collect();
    rev.facs = w.facs.iter().rev().cloned().collect();
    // Facility ids follow the original order, so ties are broken the same way.
    let (b, _, _) = rev.run();
    let key = |a: &Assessment, comms: &[(Community, f64)]| {
        let mut v: Vec<(String, String)> = a
            .shortcomings
            .iter()
            .map(|x| {
                let rr = a.requirements[x.requirement];
                (
                    comms[x.community].0.id.clone(),
                    s[rr.standard].requirements[rr.requirement].id.clone(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&a, &w.comms), key(&b, &rev.comms));
    assert_eq!(a.indicators.len(), b.indicators.len());
    for (x, y) in a.indicators.iter().zip(&b.indicators) {
        let id = &p[x.plan].indicators[x.indicator].id;
        assert_eq!(
            (x.plan, x.indicator, x.level, &x.region),
            (y.plan, y.indicator, y.level, &y.region)
        );
        match (x.value, y.value) {
            (Some(u), Some(v)) => assert!((u - v).abs() < 1e-9, "{id}: {u} vs {v}"),
            (u, v) => assert_eq!(u, v, "{id}"),
        }
    }
    let ids = |a: &Assessment, comms: &[(Community, f64)]| -> Vec<String> {
        a.ranking.iter().map(|&i| comms[i].0.id.clone()).collect()
    };
    assert_eq!(ids(&a, &w.comms), ids(&b, &rev.comms));
}

// ----------------------------------------------------------------------------------------------
// Fidelity (issues 17 and 22): each case fails on the code before its fix.

/// Communities off the network stay in the denominator (issue 22 item 1; DOMAIN.md §1: a
/// community that cannot reach a facility is not covered). GS03 「社区托育服务机构覆盖率达到50%以上」:
/// G1 has a nursery at 100 m; G2 and G3 could not be placed on the network. 1 of 3 is 33.3 %,
/// short of 50 % (skipping them gave 1 of 1, 100 %). Both are listed as lacking every
/// requirement, and count among the people short.
#[test]
fn communities_off_the_network_count_as_not_covered() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 1000.0, None)
        .fac("nursery", 100.0, Some(10.0), None)
        .comm("G2", "620102001002", 5000.0, 2000.0, None)
        .comm("G3", "620102001003", 9000.0, 3000.0, None)
        .off_network("G2")
        .off_network("G3");
    let (a, s, p) = w.run();
    let r = all(&a, &p, "GS03");
    close(r.value, 100.0 / 3.0);
    assert_eq!((r.numerator, r.denominator, r.met), (1.0, 3.0, Some(false)));
    assert_eq!(r.off_network, 2);
    assert!(
        r.note
            .contains("2 communities not on the network counted as not covered"),
        "{}",
        r.note
    );
    // GS04 (slots per 1000 people): the 10 slots stand in the region of 6,000 people: 1.67,
    // and the off-network communities' people stay in the denominator.
    close(all(&a, &p, "GS04").value, 10.0 / 6000.0 * 1000.0);
    assert!(all(&a, &p, "GS04")
        .note
        .contains("2 communities not on the network kept in the denominator"));
    // Shortcomings: the off-network communities are listed with every required requirement,
    // and rank first (most people × requirements short).
    let kg = req_index(&a, &s, "GB50180-2018", "5min.kindergarten");
    for c in [1usize, 2] {
        assert!(a
            .shortcomings
            .iter()
            .any(|x| x.community == c && x.requirement == kg));
        assert_eq!(a.check(c, kg).state, CheckState::NotPlaced);
        assert!(a.status[c].short_required >= a.status[0].short_required);
        assert_eq!(a.status[c].met, 0);
    }
    assert_eq!(
        a.ranking[0], 2,
        "G3 (3,000 people, everything short) ranks first"
    );
}

/// A street whose edges are 0.1 m, 256.1 m and 43.8 m long: a kindergarten at its end is 300 m
/// away, but the summed lengths are 300.00000000000006 m. GB 50180's 「幼儿园…服务半径不宜大于300m」
/// is met (issue 22 item 2: one tolerance, 1 mm, in access, counts, coverage and siting).
#[test]
fn a_path_whose_float_sum_overshoots_is_within_the_circle() {
    let lengths = [0.1, 256.1, 43.8];
    let sum = lengths.iter().fold(0.0, |acc, x| acc + x);
    assert!(
        sum > 300.0,
        "the sum must overshoot for the test to mean anything"
    );
    let raw = RawNetwork {
        node_ids: (0..4).collect(),
        coords: (0..4).map(|i| LonLat::new(i as f64 * 0.001, 0.0)).collect(),
        edges: (0..3)
            .map(|i| RawEdge {
                from: i as u32,
                to: i as u32 + 1,
                length_m: lengths[i],
            })
            .collect(),
    };
    let g = Graph::build(
        &raw,
        BuildOptions {
            keep_largest_component: true,
        },
    )
    .unwrap()
    .0;
    let at = |id: i64| {
        let idx = g.node_ids().iter().position(|&x| x == id).unwrap() as u32;
        Some(Anchor::at_node(&g, idx, 0.0))
    };
    let communities = vec![Community {
        id: "C".into(),
        name: "社区".into(),
        pos: LonLat::new(0.0, 0.0),
        population: 1000.0,
        households: None,
        elderly: None,
        children_0_3: None,
        division_code: Some("620102001001".into()),
    }];
    let facilities = vec![Facility {
        id: "K".into(),
        name: "幼儿园".into(),
        category: Category::from_key("kindergarten").unwrap(),
        pos: LonLat::new(0.003, 0.0),
        capacity: None,
        floor_area_m2: None,
        provider_code: None,
        division_code: None,
    }];
    let cats = [facilities[0].category.index() as u16];
    let targets = Targets::new(&g, &[at(3)], &cats, &[0], Category::count());
    let (s, p) = (shipped_standards().unwrap(), shipped_plans().unwrap());
    let ap = AccessPlan::new(&s, &p, 1500.0);
    let access = compute_access(&g, &targets, &[at(0)], &ap.config(), &|_| {});
    let facilities = lc_model::FacilityList::from(facilities);
    let input = Input {
        communities: &communities,
        facilities: &facilities,
        placed: &[true],
        access: &access,
        platform: None,
    };
    let a = assess(&s, &p, &ap, &input, &Divisions::new());
    let kg = req_index(&a, &s, "GB50180-2018", "5min.kindergarten");
    assert_eq!(a.check(0, kg).state, CheckState::Met);
    assert_eq!(a.check(0, kg).count, 1);
}

/// GS23 「推动发展基础较好的城市加快发展老年助餐、居家照护服务,力争"十四五"时期逐步覆盖80%以上社区」 is a
/// sentence about cities: urban committees (居委会) count, villages do not (issue 22 item 3).
/// Four urban Gansu communities with a canteen and a day-care centre within 300 m, and one
/// village committee (code 2xx) with neither: urban coverage 4 of 4, 100 %; counting the village
/// would give 4 of 5, 80 %.
#[test]
fn meal_and_home_care_counts_urban_communities() {
    let mut w = World::default();
    for k in 0..4 {
        let at = k as f64 * 5000.0;
        w.comm(
            &format!("U{k}"),
            &format!("62010200101{k}"),
            at,
            1000.0,
            None,
        )
        .fac("community_canteen", at + 100.0, None, None)
        .fac("elderly_day_care", at + 200.0, None, None);
    }
    w.comm("V", "620102001201", 20000.0, 1000.0, None);
    let (a, _, p) = w.run();
    let r = all(&a, &p, "GS23");
    assert_eq!((r.numerator, r.denominator), (4.0, 4.0));
    assert_eq!(r.communities, 4);
    close(r.value, 100.0);
    assert_eq!(
        p.iter()
            .flat_map(|p| &p.indicators)
            .find(|i| i.id == "GS23")
            .unwrap()
            .scope
            .communities,
        lc_standards::CommunityFilter::Urban
    );
}

/// A facility belongs to the region it stands in (issue 22 item 4). A 40-slot nursery stands in
/// street 620102001 (its division code) but at the edge, 100 m from street 620102002's
/// community and 4,900 m from its own street's. GS04 「每千人口拥有3岁以下婴幼儿托位数达到4.5个」:
/// street 001 (5,000 people) has 40 slots standing in it: 8.0 per 1000, met; street 002
/// (5,000 people) has none standing in it: 0, short. By walking it is the other way round
/// (8.0 for street 002's residents, 0 for street 001's), shown as the walking figure. The
/// district counts the slots once: 40 / 10,000 × 1000 = 4.0.
#[test]
fn supply_follows_where_the_facility_stands() {
    let mut w = World::default();
    w.comm("A", "620102001001", 0.0, 5000.0, None)
        .comm("B", "620102002001", 5000.0, 5000.0, None)
        .fac("nursery", 4900.0, Some(40.0), None)
        .in_region("620102001");
    let (a, _, p) = w.run();
    let s1 = row(&a, &p, "GS04", RegionLevel::Street, "620102001");
    close(s1.value, 8.0);
    assert_eq!((s1.basis, s1.met), (Basis::Supply, Some(true)));
    close(s1.walking_value, 0.0);
    let s2 = row(&a, &p, "GS04", RegionLevel::Street, "620102002");
    close(s2.value, 0.0);
    assert_eq!(s2.met, Some(false));
    close(s2.walking_value, 8.0);
    close(
        row(&a, &p, "GS04", RegionLevel::District, "620102").value,
        4.0,
    );
}

/// Totals count every facility in the region (issue 17 item 3): HL01's beds include a care home
/// that no community reaches on foot (5 km from the only community), and the note says so.
#[test]
fn totals_count_facilities_no_community_reaches() {
    let mut w = World::default();
    w.comm("H1", "230102001001", 0.0, 10000.0, None)
        .fac("elderly_care", 100.0, Some(200_000.0), None)
        .fac("elderly_care", 5000.0, Some(50_000.0), None)
        .in_region("230102001");
    let (a, _, p) = w.run();
    let r = all(&a, &p, "HL01");
    close(r.value, 250_000.0);
    assert_eq!(r.met, Some(true));
    close(r.walking_value, 200_000.0);
    assert!(
        r.note
            .contains("1 facility (50000 capacity) counted although no community reaches them"),
        "{}",
        r.note
    );
}

/// One comparison rule (issue 22 item 5; issue 17 item 3: a value exactly at its target is met).
/// GS15 「每百户居民拥有社区综合服务设施面积达到30平方米」: three stations of 0.2, 256.4 and 43.4 m² in a
/// street of 1000 households: 300 m², exactly 30 per 100 households, but the floating-point sum
/// is 299.99999999999994 and the value 29.999999999999993. It is met, gap 0.
#[test]
fn a_value_exactly_at_its_target_is_met() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 3000.0, Some(1000.0));
    for (k, area) in [0.2, 256.4, 43.4].into_iter().enumerate() {
        w.fac(
            "community_service_station",
            50.0 + k as f64 * 10.0,
            None,
            Some(area),
        )
        .in_region("620102001001");
    }
    let (a, _, p) = w.run();
    let r = row(&a, &p, "GS15", RegionLevel::Street, "620102001");
    let v = r.value.expect("a value");
    assert!(
        v < 30.0,
        "the sum must fall short in floating point for the test to mean anything"
    );
    assert_eq!(r.met, Some(true));
    assert_eq!(r.gap, Some(0.0));
    // The same rule for a standard's ratio: the complete-community standard's ≥ 30 m² per 100
    // households is met by the same stations within 300 m.
    assert!(lc_standards::Comparison::AtLeast.met(v, 30.0));
    assert!(!lc_standards::Comparison::MoreThan.met(30.0 + 1e-12, 30.0));
}

/// A platform row of GS21 for November 2026.
fn visit_row(level: &str, code: &str, due: u64, visited: u64) -> lc_model::PlatformRow {
    lc_model::PlatformRow {
        indicator: "GS21".into(),
        month: "2026-11".into(),
        level: level.into(),
        region_code: code.into(),
        due,
        visited,
        rate: (due > 0).then(|| visited as f64 / due as f64),
    }
}

/// GS21 from the platform's visit rates (issue 11), by hand: in street 620102001, community
/// a has 2 persons due and 1 visited (50 %: short of 100 %), b 2 due and 2 visited (100 %:
/// met); community c of street 620102002 has no row. The whole area sums the community rows
/// of its communities: 3 of 4 = 75 %; the street and district rows are the platform's own.
#[test]
fn monthly_visit_rate_from_the_platform() {
    let mut w = World::default();
    w.comm("a", "620102001001", 0.0, 1000.0, None)
        .comm("b", "620102001002", 500.0, 1000.0, None)
        .comm("c", "620102002001", 5000.0, 1000.0, None);
    w.platform = Some(lc_model::PlatformIndicators {
        file: "visit-rate.csv".into(),
        rows: vec![
            visit_row("province", "62", 5, 3),
            visit_row("district", "620102", 5, 3),
            visit_row("street", "620102001", 4, 3),
            visit_row("community", "a", 2, 1),
            visit_row("community", "b", 2, 2),
            // Someone registered in a community the assessment does not hold.
            visit_row("community", "z", 1, 0),
        ],
    });
    let (a, _, p) = w.run();
    let ca = row(&a, &p, "GS21", RegionLevel::Community, "a");
    close(ca.value, 50.0);
    assert_eq!(
        (ca.met, ca.numerator, ca.denominator),
        (Some(false), 1.0, 2.0)
    );
    assert_eq!(ca.region_name.as_deref(), Some("社区 a"));
    assert!(
        ca.note
            .contains("source: the platform's visit records for 2026-11 (visit-rate.csv)"),
        "{}",
        ca.note
    );
    let cb = row(&a, &p, "GS21", RegionLevel::Community, "b");
    close(cb.value, 100.0);
    assert_eq!(cb.met, Some(true));
    let cc = row(&a, &p, "GS21", RegionLevel::Community, "c");
    assert_eq!((cc.value, cc.met), (None, None));
    assert!(cc
        .note
        .contains("not computable: the platform's file has no row for this region"));
    // The whole area: the community rows of a and b (z is not assessed): 3 of 4.
    let all = row(&a, &p, "GS21", RegionLevel::All, "");
    close(all.value, 75.0);
    assert_eq!(
        (all.met, all.numerator, all.denominator),
        (Some(false), 3.0, 4.0)
    );
    let street = row(&a, &p, "GS21", RegionLevel::Street, "620102001");
    close(street.value, 75.0);
    let district = row(&a, &p, "GS21", RegionLevel::District, "620102");
    close(district.value, 60.0);
    assert_eq!(district.gap, Some(40.0));
    let other = row(&a, &p, "GS21", RegionLevel::Street, "620102002");
    assert_eq!(other.value, None);
}

/// Without the platform's file GS21 is reported, not computable, with the reason; never met,
/// never dropped.
#[test]
fn visit_rate_without_the_file_is_not_computable_with_the_reason() {
    let mut w = World::default();
    w.comm("a", "620102001001", 0.0, 1000.0, None);
    let (a, _, p) = w.run();
    for level in [
        RegionLevel::All,
        RegionLevel::Street,
        RegionLevel::Community,
    ] {
        let code = match level {
            RegionLevel::All => "",
            RegionLevel::Street => "620102001",
            _ => "a",
        };
        let r = row(&a, &p, "GS21", level, code);
        assert_eq!((r.value, r.met, r.gap), (None, None, None));
        assert!(
            r.note.contains("not computable: the platform's indicator file was not given (--platform-indicators"),
            "{}",
            r.note
        );
    }
}

/// Meal sites within the 15-minute walk (CNM1, monitoring): communities with 100, 200 and 300
/// elderly at 0, 800 and 3000 m; one community canteen at 500 m reaches the first two (500 m and
/// 300 m ≤ 1000 m), not the third (2500 m): 300 of 600 elderly = 50 %. No target: never met.
#[test]
fn elderly_within_fifteen_minutes_of_a_meal_site() {
    let mut w = World::default();
    w.comm("a", "110101001001", 0.0, 500.0, None)
        .comm("b", "110101001002", 800.0, 1000.0, None)
        .comm("c", "110101002001", 3000.0, 1500.0, None)
        .fac("community_canteen", 500.0, None, None);
    let (a, _, p) = w.run();
    let all = row(&a, &p, "CNM1", RegionLevel::All, "");
    close(all.value, 50.0);
    assert_eq!((all.numerator, all.denominator), (300.0, 600.0));
    assert_eq!((all.met, all.gap), (None, None));
    close(
        row(&a, &p, "CNM1", RegionLevel::Street, "110101001").value,
        100.0,
    );
    close(
        row(&a, &p, "CNM1", RegionLevel::Street, "110101002").value,
        0.0,
    );
    close(
        row(&a, &p, "CNM1", RegionLevel::Community, "b").value,
        100.0,
    );
    let c = row(&a, &p, "CNM1", RegionLevel::Community, "c");
    close(c.value, 0.0);
    assert_eq!(c.denominator, 300.0);
    // An elderly care home serves meals too (the catalogue's `meal`): at 3000 m it covers c.
    w.fac("elderly_care", 3000.0, Some(50.0), None);
    let (a, _, p) = w.run();
    close(row(&a, &p, "CNM1", RegionLevel::All, "").value, 100.0);
}

/// The bar: every shipped indicator has a hand-worked case above (its id appears in an
/// assertion of this file).
#[test]
fn every_shipped_indicator_is_tested_here() {
    let src = include_str!("tests.rs");
    let body = &src[..src
        .find("fn every_shipped_indicator_is_tested_here")
        .unwrap()];
    for p in shipped_plans().unwrap() {
        for ind in &p.indicators {
            assert!(
                body.contains(&format!("\"{}\"", ind.id)),
                "{} has no hand-worked test",
                ind.id
            );
        }
    }
}

/// Each plan keeps only the communities of its jurisdiction in every region, although the
/// regions are grouped once for all plans: Gansu's rows hold the two Gansu communities and no
/// Hebei region, Hebei's the Hebei one and no Gansu region, the national plan all three.
#[test]
fn each_plan_keeps_its_own_communities_in_every_region() {
    let mut w = World::default();
    w.comm("G1", "620102001001", 0.0, 1000.0, None)
        .comm("G2", "620102002001", 3000.0, 2000.0, None)
        .comm("H1", "130102001001", 6000.0, 4000.0, None)
        .fac("nursery", 100.0, Some(5.0), None);
    let (a, _, p) = w.run();
    let rows_of = |ind: &str| -> Vec<&IndicatorRow> {
        a.indicators
            .iter()
            .filter(|r| p[r.plan].indicators[r.indicator].id == ind)
            .collect()
    };
    assert_eq!(all(&a, &p, "GS04").communities, 2);
    assert_eq!(all(&a, &p, "GS04").population, 3000.0);
    for (code, people) in [("620102001", 1000.0), ("620102002", 2000.0)] {
        let r = row(&a, &p, "GS04", RegionLevel::Street, code);
        assert_eq!((r.communities, r.population), (1, people));
    }
    assert!(rows_of("GS04").iter().all(|r| !r.region.starts_with("13")));
    assert_eq!(all(&a, &p, "HE08").communities, 1);
    assert_eq!(all(&a, &p, "HE08").population, 4000.0);
    assert!(rows_of("HE08").iter().all(|r| !r.region.starts_with("62")));
    assert_eq!(
        row(&a, &p, "CN01", RegionLevel::Province, "62").communities,
        2
    );
    assert_eq!(
        row(&a, &p, "CN01", RegionLevel::Province, "13").communities,
        1
    );
    assert_eq!(all(&a, &p, "CN01").communities, 3);
}

//! The demo city on the server: central Chengdu inside the 2nd ring (`demo/chengdu-central/`,
//! the command-line demo's data, embedded in the binary), seeded once into a fresh database so
//! that every journey of the platform works on it offline:
//!
//! * the divisions (`divisions.csv`, parents from the code prefixes), the 206 communities and the
//!   821 illustrative outlets of `facilities.csv` (each in the division of the community it
//!   stands beside);
//! * three demo providers (valid unified social credit codes) running the 41 community
//!   canteens (助餐 `meal`, weekday lunch and dinner in 30-minute slots) and the 69 elderly
//!   service stations (上门助洁 `cleaning` at every station, 上门助浴 `bathing` at every other,
//!   their home areas computed on the walking network when the server has one), written by
//!   the rules of `POST /api/offerings`;
//! * one account per role (`resident`, `provider`, `worker`, `regulator`) tied to demo records,
//!   their passwords (generated, or `Config::demo_password`) written with the administrator's
//!   to `data_dir/demo-accounts.txt` (0600);
//! * three entries in the care register of the worker's community (visits due this month);
//! * the check-item list (three items under real rules) and an illustrative inspector pool (two
//!   in each district's market regulation bureau) for 双随机、一公开 spot checks;
//! * the 36 candidate plots of `candidates.csv` (siting scenarios), each in the division of the
//!   community nearest to it.
//!
//! Every record goes through the registry's checks; each table group is one transaction,
//! audited with its source.

use std::collections::BTreeMap;
use std::time::Instant;

use lc_access::reach::{distances_within, Reach};
use lc_model::{Community, Facility, LonLat};
use lc_network::{SnapMode, Snapper};
use lc_registry::records::{check_new, FacilityInput, Input, ProviderInput, ResidentInput};
use lc_registry::Uscc;
use lc_services::care::RegisterInput;
use lc_store::Actor;
use serde_json::json;

use crate::auth::{random_hex, Caller};
use crate::domains::care::register::{self, RegisterRow};
use crate::domains::inspections::pools::{self, CheckItemInput, InspectorInput};
use crate::domains::registry::{facilities, providers, residents};
use crate::domains::services::offerings::{self, OfferingBody, SNAP_LIMIT_M};
use crate::seed::{self, startup};
use crate::{AppState, ServerError};

const DIVISIONS: &str = include_str!("../../../demo/chengdu-central/divisions.csv");
const COMMUNITIES: &str = include_str!("../../../demo/chengdu-central/communities.csv");
const FACILITIES: &str = include_str!("../../../demo/chengdu-central/facilities.csv");
const CANDIDATES: &str = include_str!("../../../demo/chengdu-central/candidates.csv");

/// The file of the demo accounts' passwords in the data directory.
pub const ACCOUNTS_FILE: &str = "demo-accounts.txt";

/// A demo provider: 17 characters of its code (the check character is computed), name, the
/// categories of the outlets it runs and, for canteens, the districts (code prefixes).
struct DemoProvider {
    body: &'static str,
    name: &'static str,
    address: &'static str,
    division: &'static str,
    contact: &'static str,
    phone: &'static str,
    /// Its class of the NBS life-service classification (the demo's choice: meal services for
    /// the elderly are 养老服务 2019:03 at the elderly-care company, 住宿餐饮服务 2019:09 at the
    /// canteen companies).
    nbs_class: &'static str,
}

const PROVIDERS: [DemoProvider; 3] = [
    DemoProvider {
        body: "91510108MA6CD001X",
        name: "成都市成华区颐乐社区助餐服务有限公司（示例）",
        address: "成都市成华区建设路 8 号（示例）",
        division: "510108",
        contact: "李明",
        phone: "02884300001",
        nbs_class: "2019:09",
    },
    DemoProvider {
        body: "91510106MA6CD002X",
        name: "成都蓉城社区食堂管理有限公司（示例）",
        address: "成都市金牛区一环路北三段 1 号（示例）",
        division: "510106",
        contact: "周丽",
        phone: "02887600002",
        nbs_class: "2019:09",
    },
    DemoProvider {
        body: "91510104MA6CD003X",
        name: "成都锦福居家养老服务有限公司（示例）",
        address: "成都市锦江区红星路二段 2 号（示例）",
        division: "510104",
        contact: "陈静",
        phone: "02886600003",
        nbs_class: "2019:03",
    },
];

/// The code of a demo provider, its check character computed and verified (GB 32100).
fn uscc(p: &DemoProvider) -> Result<String, ServerError> {
    let check = lc_registry::uscc_check_char(p.body)
        .ok_or_else(|| startup(format!("demo provider code body {}", p.body)))?;
    let code = format!("{}{check}", p.body);
    Uscc::parse(&code).map_err(startup)?;
    Ok(code)
}

/// The provider (index into [`PROVIDERS`]) running an outlet: canteens in 成华区 by the first,
/// the other canteens by the second, elderly service stations by the third; others none.
fn operator(category: &str, division: Option<&str>) -> Option<usize> {
    match category {
        "community_canteen" if division.is_some_and(|d| d.starts_with("510108")) => Some(0),
        "community_canteen" => Some(1),
        "elderly_service_station" => Some(2),
        _ => None,
    }
}

fn opening_hours(category: &str) -> Option<&'static str> {
    match category {
        "community_canteen" => Some("10:30-13:30,16:30-19:30"),
        "elderly_service_station" => Some("08:30-17:30"),
        _ => None,
    }
}

/// The seed's caller: the system (no account), request id `seed`.
fn system() -> Caller {
    Caller {
        user: None,
        request_id: "seed:chengdu".into(),
        session_hash: None,
    }
}

fn actor() -> Actor {
    Actor {
        request_id: Some("seed:chengdu".into()),
        ..Actor::default()
    }
}

/// Seeds the demo city once into a fresh database (see the module documentation);
/// `admin_password` is the administrator's when this start created it (written to the
/// accounts file).
pub async fn seed(st: &AppState, admin_password: Option<String>) -> Result<(), ServerError> {
    if seed::already_seeded(st).await? {
        tracing::info!("the database has been seeded or holds communities: no demo seeded");
        return Ok(());
    }
    let t0 = Instant::now();
    let divisions =
        seed::seed_divisions(st, DIVISIONS, "seed: demo/chengdu-central/divisions.csv").await?;
    let communities = seed::seed_communities(
        st,
        COMMUNITIES,
        "seed: demo/chengdu-central/communities.csv",
    )
    .await?;
    let candidates = seed_candidates(st).await?;
    let codes = seed_providers(st).await?;
    let outlets = seed_facilities(st, &communities, &codes).await?;
    let offerings = seed_offerings(st, &outlets).await?;
    let accounts = seed_accounts(st, &communities, &outlets, &codes).await?;
    let (items, inspectors) = seed_inspections(st).await?;
    st.store.setting_or_insert("demo_seeded", "chengdu").await?;
    let path = write_accounts(st, admin_password, &accounts)?;
    tracing::info!(
        divisions,
        communities = communities.len(),
        facilities = outlets.len(),
        candidates,
        offerings,
        check_items = items,
        inspectors,
        seconds = format!("{:.2}", t0.elapsed().as_secs_f64()),
        accounts = %path.display(),
        "seeded the demo city (central Chengdu); the demo accounts' passwords are in the file"
    );
    Ok(())
}

/// The 36 candidate plots of `candidates.csv` (one transaction), each in the division of the
/// community nearest to it; how many.
async fn seed_candidates(st: &AppState) -> Result<usize, ServerError> {
    let file = "demo/chengdu-central/candidates.csv";
    let read =
        lc_tables::read_candidates_from(file, CANDIDATES.as_bytes(), lc_tables::Crs::Wgs84, false)
            .map_err(|e| ServerError::Startup(format!("{file}: {e}")))?;
    let mut tx = st.store.begin().await?;
    let (created, _) = crate::domains::siting::store_candidates(&mut tx, &actor(), read, "seed")
        .await
        .map_err(|e| ServerError::Startup(format!("{file}: {}", e.message_en)))?;
    tx.commit().await?;
    Ok(created)
}

/// The three demo providers (one transaction); their codes.
async fn seed_providers(st: &AppState) -> Result<Vec<String>, ServerError> {
    let mut codes = Vec::new();
    let mut tx = st.store.begin().await?;
    for p in &PROVIDERS {
        let code = uscc(p)?;
        let checked = check_new::<ProviderInput>(json!({
            "uscc": code, "name": p.name, "address": p.address, "division_code": p.division,
            "contact_name": p.contact, "contact_phone": p.phone, "nbs_class": p.nbs_class,
        }))
        .map_err(|e| startup(format!("demo provider {code}: {e:?}")))?;
        providers::check_refs(tx.conn(), &checked)
            .await
            .map_err(|e| startup(e.message_en))?;
        providers::insert(
            tx.conn(),
            &providers::ProviderRow::new(checked, lc_store::now_ms(), 0),
        )
        .await?;
        codes.push(code);
    }
    tx.audit(
        &actor(),
        "import",
        "provider",
        "*",
        json!({"source": "seed: demo providers (crates/server/src/demo_city.rs)", "rows": codes.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// An outlet as seeded.
struct Outlet {
    facility: Facility,
    provider: Option<usize>,
}

/// The nearest community (straight line) of a point.
fn nearest(communities: &[Community], p: LonLat) -> Option<&Community> {
    communities.iter().min_by(|a, b| {
        a.pos
            .haversine_m(p)
            .total_cmp(&b.pos.haversine_m(p))
            .then_with(|| a.id.cmp(&b.id))
    })
}

/// The outlets of `facilities.csv` (one transaction), each in the division of the community it
/// stands beside, canteens and elderly service stations with their provider.
async fn seed_facilities(
    st: &AppState,
    communities: &[Community],
    codes: &[String],
) -> Result<Vec<Outlet>, ServerError> {
    let list = lc_tables::read_facilities_from(
        "demo/chengdu-central/facilities.csv",
        FACILITIES.as_bytes(),
        lc_tables::Crs::Wgs84,
    )
    .map_err(startup)?;
    let mut out = Vec::new();
    let mut tx = st.store.begin().await?;
    for f in list {
        let division = nearest(communities, f.pos).and_then(|c| c.division_code.clone());
        let category = f.category.key();
        let provider = operator(category, division.as_deref());
        let checked = check_new::<FacilityInput>(json!({
            "id": f.id, "name": f.name, "category": category, "lon": f.pos.lon, "lat": f.pos.lat,
            "capacity": f.capacity, "floor_area_m2": f.floor_area_m2,
            "provider_code": provider.map(|i| codes[i].clone()),
            "division_code": division, "opening_hours": opening_hours(category),
        }))
        .map_err(|e| startup(format!("demo facility {}: {e:?}", f.id)))?;
        facilities::check_refs(tx.conn(), &checked)
            .await
            .map_err(|e| startup(e.message_en))?;
        facilities::insert(
            tx.conn(),
            &facilities::FacilityRow::new(checked, lc_store::now_ms(), 0),
        )
        .await?;
        out.push(Outlet {
            facility: f,
            provider,
        });
    }
    tx.audit(
        &actor(),
        "import",
        "facility",
        "*",
        json!({"source": "seed: demo/chengdu-central/facilities.csv", "rows": out.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

fn weekdays(hours: &[&str], days: &[&str]) -> serde_json::Value {
    let mut week = serde_json::Map::new();
    for d in days {
        week.insert((*d).into(), json!(hours));
    }
    json!({"week": week, "holidays": "observe"})
}

const MON_FRI: &[&str] = &["mon", "tue", "wed", "thu", "fri"];
const MON_SAT: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat"];

/// The offerings of the canteens and the elderly service stations (one transaction), by the
/// rules of `POST /api/offerings`; how many.
async fn seed_offerings(st: &AppState, outlets: &[Outlet]) -> Result<usize, ServerError> {
    let c = system();
    let mut bodies = Vec::new();
    let mut canteen = 0usize;
    let mut station = 0usize;
    for o in outlets.iter().filter(|o| o.provider.is_some()) {
        let id = o.facility.id.clone();
        match o.facility.category.key() {
            "community_canteen" => {
                // 15–18 yuan a meal, up to 5 yuan of it subsidised for the elderly.
                bodies.push(json!({
                    "facility_id": id, "service": "meal", "delivery": "outlet",
                    "price_fen": 1500 + (canteen % 4) as i64 * 100, "subsidy_cap_fen": 500,
                    "duration_min": 30, "capacity": 20 + (canteen % 3) as i64 * 10,
                    "plan": weekdays(&["11:00-13:00", "17:00-19:00"], MON_FRI),
                }));
                canteen += 1;
            }
            "elderly_service_station" => {
                let hours = ["09:00-12:00", "14:00-17:00"];
                bodies.push(json!({
                    "facility_id": id, "service": "cleaning", "delivery": "home",
                    "price_fen": 6000, "subsidy_cap_fen": 3000, "duration_min": 120,
                    "capacity": 2, "home_area_m": 1500.0, "cancel_notice_min": 240,
                    "plan": weekdays(&hours, MON_SAT),
                }));
                if station.is_multiple_of(2) {
                    bodies.push(json!({
                        "facility_id": id, "service": "bathing", "delivery": "home",
                        "price_fen": 8000, "subsidy_cap_fen": 4000, "duration_min": 60,
                        "capacity": 1, "home_area_m": 1000.0, "cancel_notice_min": 240,
                        "plan": weekdays(&hours, MON_FRI),
                    }));
                }
                station += 1;
            }
            _ => {}
        }
    }
    let mut tx = st.store.begin().await?;
    for b in &bodies {
        let body: OfferingBody = serde_json::from_value(b.clone()).map_err(startup)?;
        offerings::create_in(st, &mut tx, &c, &body)
            .await
            .map_err(|e| startup(format!("demo offering {b}: {}", e.message_en)))?;
    }
    tx.audit(
        &actor(),
        "import",
        "offering",
        "*",
        json!({"source": "seed: demo offerings (crates/server/src/demo_city.rs)", "rows": bodies.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(bodies.len())
}

/// The check-item list and the inspector pool of 双随机、一公开 (one transaction, by the rules of
/// `POST /api/check-items` and `POST /api/inspectors`), so that the regulator can announce,
/// draw and publish a spot check of the demo's canteens and stations. The items name real rules;
/// the inspectors are illustrative (示例), two to a district's market regulation bureau.
async fn seed_inspections(st: &AppState) -> Result<(usize, usize), ServerError> {
    const ITEMS: [(&str, &str, &str, &str, &str); 3] = [
        (
            "SP-01",
            "食品安全管理制度落实情况 Food safety management",
            "key",
            "食品安全",
            "《中华人民共和国食品安全法》",
        ),
        (
            "PR-01",
            "明码标价执行情况 Clearly marked prices",
            "general",
            "价格监督",
            "《明码标价和禁止价格欺诈规定》",
        ),
        (
            "YL-01",
            "养老服务质量与安全 Elderly-care service quality and safety",
            "general",
            "养老服务",
            "GB/T 35796-2017《养老机构服务质量基本规范》",
        ),
    ];
    const BUREAUS: [&str; 5] = [
        "成都市金牛区市场监督管理局",
        "成都市成华区市场监督管理局",
        "成都市锦江区市场监督管理局",
        "成都市青羊区市场监督管理局",
        "成都市武侯区市场监督管理局",
    ];
    let c = system();
    let mut tx = st.store.begin().await?;
    for (code, name, kind, qualification, basis) in ITEMS {
        let input = CheckItemInput {
            code: Some(code.into()),
            name: Some(name.into()),
            kind: Some(kind.into()),
            qualifications: Some(vec![qualification.into()]),
            legal_basis: Some(basis.into()),
            active: None,
        };
        pools::create_item_in(st, &mut tx, &c, &input)
            .await
            .map_err(|e| startup(format!("demo check item {code}: {}", e.message_en)))?;
    }
    let mut n = 0;
    for (d, bureau) in BUREAUS.iter().enumerate() {
        for k in 0..2 {
            n += 1;
            // Every inspector may check food safety and prices; one in each pair elderly care too.
            let mut quals = vec!["食品安全".to_string(), "价格监督".to_string()];
            if k == 0 {
                quals.push("养老服务".into());
            }
            let input = InspectorInput {
                code: Some(format!("CD-{:02}", d * 2 + k + 1)),
                name: Some(format!("示例检查员{n:02}")),
                department: Some((*bureau).into()),
                qualifications: Some(quals),
                ..InspectorInput::default()
            };
            pools::create_inspector_in(st, &mut tx, &c, &input)
                .await
                .map_err(|e| startup(format!("demo inspector {n}: {}", e.message_en)))?;
        }
    }
    tx.commit().await?;
    Ok((ITEMS.len(), n))
}

/// A demo account: username, role, password.
pub struct DemoAccount {
    pub username: &'static str,
    pub role: &'static str,
    pub password: String,
}

/// The community of the demo resident: among the communities with a committee code (so that
/// its visits roll up to street and district), the one with the most canteens within 1 km
/// (straight line), ties by id.
fn resident_community<'a>(communities: &'a [Community], outlets: &[Outlet]) -> &'a Community {
    let canteens: Vec<LonLat> = outlets
        .iter()
        .filter(|o| o.facility.category.key() == "community_canteen")
        .map(|o| o.facility.pos)
        .collect();
    let near = |c: &Community| {
        canteens
            .iter()
            .filter(|p| p.haversine_m(c.pos) <= 1000.0)
            .count()
    };
    communities
        .iter()
        .max_by(|a, b| {
            let coded = |c: &Community| {
                c.division_code
                    .as_deref()
                    .and_then(lc_model::division::level_of)
                    == Some(lc_model::DivisionLevel::Committee)
            };
            (coded(a), near(a))
                .cmp(&(coded(b), near(b)))
                .then_with(|| b.id.cmp(&a.id))
        })
        .expect("the demo has communities")
}

/// The canteen nearest a community: by walking on the server's network when it has one, else
/// by straight line; ties by facility id.
async fn nearest_canteen<'a>(
    st: &AppState,
    community: &Community,
    outlets: &'a [Outlet],
) -> Result<&'a Outlet, ServerError> {
    let canteens: Vec<&Outlet> = outlets
        .iter()
        .filter(|o| o.facility.category.key() == "community_canteen")
        .collect();
    let mut dist: Vec<Option<f64>> = canteens
        .iter()
        .map(|o| Some(o.facility.pos.haversine_m(community.pos)))
        .collect();
    if let Some(graph) = st.config.network.clone() {
        let from = community.pos;
        let points: Vec<LonLat> = canteens.iter().map(|o| o.facility.pos).collect();
        let (reach, walk) = tokio::task::spawn_blocking(move || {
            let snapper = Snapper::new(&graph, SnapMode::Edge);
            distances_within(&graph, &snapper, from, 10_000.0, &points, SNAP_LIMIT_M)
        })
        .await
        .map_err(startup)?;
        if matches!(reach, Reach::Placed) && walk.iter().any(Option::is_some) {
            dist = walk;
        }
    }
    canteens
        .into_iter()
        .zip(dist)
        .filter_map(|(o, d)| d.map(|d| (o, d)))
        .min_by(|(a, da), (b, db)| {
            da.total_cmp(db)
                .then_with(|| a.facility.id.cmp(&b.facility.id))
        })
        .map(|(o, _)| o)
        .ok_or_else(|| startup("the demo has no canteen"))
}

/// The elderly people in difficulty of the worker's community (name, address, categories).
const REGISTER: [(&str, &str, &[&str]); 3] = [
    (
        "刘淑芬（示例）",
        "2 栋 1 单元 101（示例）",
        &["living_alone", "advanced_age"],
    ),
    ("赵德明（示例）", "5 栋 3 单元 202（示例）", &["empty_nest"]),
    (
        "孙桂兰（示例）",
        "7 栋 2 单元 401（示例）",
        &["dibao", "disabled_care"],
    ),
];

/// The demo accounts with their records, and the care register entries (one transaction).
async fn seed_accounts(
    st: &AppState,
    communities: &[Community],
    outlets: &[Outlet],
    codes: &[String],
) -> Result<Vec<DemoAccount>, ServerError> {
    let home = resident_community(communities, outlets);
    let canteen = nearest_canteen(st, home, outlets).await?;
    let provider = codes[canteen.provider.unwrap_or(0)].clone();
    // One generated password per account, unless the deployment gives them all one.
    let password = || {
        st.config
            .demo_password
            .clone()
            .unwrap_or_else(|| random_hex(12))
    };
    let accounts = vec![
        DemoAccount {
            username: "resident",
            role: "resident",
            password: password(),
        },
        DemoAccount {
            username: "provider",
            role: "provider_staff",
            password: password(),
        },
        DemoAccount {
            username: "worker",
            role: "community_worker",
            password: password(),
        },
        DemoAccount {
            username: "regulator",
            role: "regulator",
            password: password(),
        },
    ];
    let display = |a: &DemoAccount| match a.role {
        "resident" => format!("示例居民 Demo resident（{}）", home.name),
        "provider_staff" => format!(
            "示例服务机构员工 Demo provider staff（{}）",
            canteen.facility.name
        ),
        "community_worker" => format!("示例社区工作者 Demo community worker（{}）", home.name),
        _ => "示例监管人员 Demo regulator".to_string(),
    };
    let c = system();
    let mut tx = st.store.begin().await?;
    let mut ids = BTreeMap::new();
    for a in &accounts {
        let input = serde_json::from_value(json!({
            "username": a.username, "password": a.password, "role": a.role,
            "display_name": display(a),
            "provider_code": (a.role == "provider_staff").then(|| provider.clone()),
            "community_id": (a.role == "community_worker").then(|| home.id.clone()),
        }))
        .map_err(startup)?;
        let row = crate::accounts::insert_new_user(tx.conn(), &input)
            .await
            .map_err(|e| startup(format!("demo account {}: {}", a.username, e.message_en)))?;
        tx.audit(
            &c.actor(),
            "create",
            "user",
            &row.id.to_string(),
            json!({"username": row.username, "role": row.role, "seed": "chengdu"}),
        )
        .await?;
        ids.insert(a.username, row.id);
    }
    // The demo resident's record, and the people of the care register, in the same community.
    let mut people = vec![(
        "王秀兰（示例）",
        "1 栋 2 单元 301（示例）",
        Some(ids["resident"]),
    )];
    people.extend(REGISTER.iter().map(|(n, a, _)| (*n, *a, None)));
    let today = lc_services::time::local_date(st.clock.now_ms()).map_err(startup)?;
    let since = format!("{:04}-01-01", today.year());
    for (i, (name, address, user)) in people.into_iter().enumerate() {
        let checked = check_new::<ResidentInput>(json!({
            "community_id": home.id, "name": name, "address": format!("{}{address}", home.name),
            "phone": format!("1380013{:04}", 8000 + i), "user_id": user,
        }))
        .map_err(|e| startup(format!("demo resident {name}: {e:?}")))?;
        residents::check_refs(tx.conn(), &checked)
            .await
            .map_err(|e| startup(e.message_en))?;
        let mut row = residents::ResidentRow::new(st, checked, 0, lc_store::now_ms(), 0);
        row.id = residents::insert(tx.conn(), &row).await?;
        if i == 0 {
            continue;
        }
        let (_, _, categories) = REGISTER[i - 1];
        let entry = RegisterInput {
            resident_id: Some(row.id),
            categories: Some(categories.iter().map(|s| s.to_string()).collect()),
            since: Some(since.clone()),
            visitor_user_id: Some(ids["worker"]),
            ..RegisterInput::default()
        }
        .check()
        .map_err(|e| startup(format!("demo register entry {name}: {e:?}")))?;
        register::check_visitor(tx.conn(), entry.visitor_user_id)
            .await
            .map_err(|e| startup(e.message_en))?;
        let reg = RegisterRow::new(&entry, home.id.clone(), 0, lc_store::now_ms(), 0);
        register::insert(tx.conn(), &reg).await?;
    }
    tx.audit(
        &actor(),
        "import",
        "resident",
        "*",
        json!({"source": "seed: demo accounts, residents and care register (crates/server/src/demo_city.rs)",
               "community": home.id, "accounts": accounts.len(), "register": REGISTER.len()}),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(community = %home.id, name = %home.name, canteen = %canteen.facility.id, provider = %provider, "demo accounts: the resident and the worker in this community, the provider staff of its nearest canteen");
    Ok(accounts)
}

/// Writes `data_dir/demo-accounts.txt` (0600): `username<TAB>role<TAB>password` per line, the
/// administrator first when this start created it.
fn write_accounts(
    st: &AppState,
    admin_password: Option<String>,
    accounts: &[DemoAccount],
) -> Result<std::path::PathBuf, ServerError> {
    let path = st.config.data_dir.join(ACCOUNTS_FILE);
    crate::secrets::create_private_dir(&st.config.data_dir)?;
    crate::secrets::touch_private(&path)?;
    let mut text = String::new();
    if let Some(p) = admin_password {
        text.push_str(&format!("admin\tadmin\t{p}\n"));
    }
    for a in accounts {
        text.push_str(&format!("{}\t{}\t{}\n", a.username, a.role, a.password));
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

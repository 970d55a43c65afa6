//! The demo city on the server (central Chengdu, `Demo::Chengdu`) with its walking network, as
//! `livingcircle serve` runs it: what is seeded, once per database; the demo accounts; and
//! `GET /api/public/nearby` against an independent computation on the same graph.

mod common;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use common::{assert_error, Auth, Db, TestServer, DEMO_PASSWORD};
use lc_access::reach::{distances_within, Reach};
use lc_model::LonLat;
use lc_network::{SnapMode, Snapper};
use reqwest::StatusCode;
use serde_json::Value;

/// The demo's network, built as `serve` builds it (the committed extract, walking profile).
fn chengdu_network() -> Arc<lc_network::Graph> {
    static GRAPH: OnceLock<Arc<lc_network::Graph>> = OnceLock::new();
    GRAPH
        .get_or_init(|| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../demo/chengdu-central/chengdu-central.osm.pbf");
            let t0 = Instant::now();
            let loaded = lc_pipeline::network::load(
                &lc_pipeline::NetworkSource::Osm(path),
                &lc_pipeline::LoadOptions {
                    use_cache: false,
                    ..Default::default()
                },
                &lc_pipeline::Silent,
            )
            .unwrap();
            eprintln!(
                "demo network: {} nodes, {} edges in {:.2} s",
                loaded.graph.node_count(),
                loaded.graph.edge_count(),
                t0.elapsed().as_secs_f64()
            );
            Arc::new(loaded.graph)
        })
        .clone()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn pos(v: &Value) -> LonLat {
    LonLat::new(f(&v["lon"]), f(&v["lat"]))
}

async fn total(s: &TestServer, path: &str) -> i64 {
    let (st, v) = s.get(&Auth::Anonymous, path).await;
    assert_eq!(st, StatusCode::OK, "{path}: {v}");
    v["total"].as_i64().unwrap()
}

/// Every item of a public list (paged by 500).
async fn all(s: &TestServer, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (st, v) = s
            .get(
                &Auth::Anonymous,
                &format!("{path}{sep}limit=500&offset={}", out.len()),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap().clone();
        let done =
            items.is_empty() || out.len() + items.len() >= v["total"].as_u64().unwrap() as usize;
        out.extend(items);
        if done {
            return out;
        }
    }
}

/// What the seed must have written; the same after every start.
async fn seeded(s: &TestServer) {
    assert_eq!(total(s, "/api/communities?limit=1").await, 206);
    assert_eq!(total(s, "/api/facilities?limit=1").await, 821);
    assert_eq!(total(s, "/api/divisions?limit=1").await, 28);
    let canteens = all(s, "/api/facilities?category=community_canteen").await;
    assert_eq!(canteens.len(), 41);
    let meals = all(s, "/api/offerings?service=meal").await;
    for c in &canteens {
        let id = c["id"].as_str().unwrap();
        let mine: Vec<&Value> = meals.iter().filter(|o| o["facility_id"] == id).collect();
        assert_eq!(mine.len(), 1, "one meal offering at canteen {id}");
        let o = mine[0];
        assert_eq!(o["delivery"], "outlet");
        assert_eq!(o["provider_code"], c["provider_code"]);
        assert!(o["price_fen"].as_i64().unwrap() >= o["subsidy_cap_fen"].as_i64().unwrap());
        assert!(c["provider_code"].is_string(), "{c}");
        assert!(c["division_code"].is_string(), "{c}");
    }
    // Weekday lunch and dinner in 30-minute slots.
    let (st, slots) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/offerings/{}/slots", meals[0]["id"]),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let starts: Vec<&str> = slots
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["start"].as_str().unwrap()[11..16])
        .collect();
    assert!(!starts.is_empty());
    assert!(
        starts.iter().all(|t| [
            "11:00", "11:30", "12:00", "12:30", "17:00", "17:30", "18:00", "18:30"
        ]
        .contains(t)),
        "{starts:?}"
    );
    let stations = total(
        s,
        "/api/facilities?category=elderly_service_station&limit=1",
    )
    .await;
    assert_eq!(stations, 69);
    assert_eq!(
        total(s, "/api/offerings?service=cleaning&limit=1").await,
        69
    );
    assert_eq!(total(s, "/api/offerings?service=bathing&limit=1").await, 35);
}

async fn users_total(s: &TestServer) -> i64 {
    let admin = s.admin().await;
    let (st, v) = s.get(&admin, "/api/users?limit=1").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["total"].as_i64().unwrap()
}

async fn me(s: &TestServer, who: &Auth) -> Value {
    let (st, v) = s.get(who, "/api/auth/me").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

async fn nearby(s: &TestServer, query: &str) -> (StatusCode, Value) {
    s.get(&Auth::Anonymous, &format!("/api/public/nearby?{query}"))
        .await
}

async fn demo_city(s: &mut TestServer) {
    let graph = chengdu_network();
    seeded(s).await;

    // The demo accounts, one per role, tied to the demo's records.
    let resident = s.login("resident", DEMO_PASSWORD).await;
    let provider = s.login("provider", DEMO_PASSWORD).await;
    let worker = s.login("worker", DEMO_PASSWORD).await;
    let regulator = s.login("regulator", DEMO_PASSWORD).await;
    let (r, p, w, g) = (
        me(s, &resident).await,
        me(s, &provider).await,
        me(s, &worker).await,
        me(s, &regulator).await,
    );
    assert_eq!(r["role"], "resident", "{r}");
    assert_eq!(p["role"], "provider_staff", "{p}");
    assert_eq!(w["role"], "community_worker", "{w}");
    assert_eq!(g["role"], "regulator", "{g}");
    let home = w["community_id"].as_str().unwrap().to_string();
    let (st, mine) = s.get(&worker, "/api/residents?limit=50").await;
    assert_eq!(st, StatusCode::OK, "{mine}");
    assert_eq!(
        mine["total"], 4,
        "the demo resident and three in the register: {mine}"
    );
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["user_id"] == r["id"] && x["community_id"] == home.as_str()));
    let (st, reg) = s.get(&worker, "/api/care/register").await;
    assert_eq!(st, StatusCode::OK, "{reg}");
    let n = reg
        .get("items")
        .and_then(Value::as_array)
        .or(reg.as_array())
        .unwrap()
        .len();
    assert_eq!(n, 3, "{reg}");
    let (st, due) = s.get(&worker, "/api/care/visits/due").await;
    assert_eq!(st, StatusCode::OK, "{due}");
    assert!(due.to_string().matches("resident_id").count() >= 3, "{due}");
    // 双随机: the seeded check items and inspectors let the regulator announce a spot check of
    // every demo canteen (each in a division, run by a provider), with qualified inspectors.
    let (st, items) = s.get(&Auth::Anonymous, "/api/check-items").await;
    assert_eq!(st, StatusCode::OK, "{items}");
    let codes: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 3, "{items}");
    assert!(codes.contains(&"SP-01"), "{items}");
    let (st, inspectors) = s.get(&regulator, "/api/inspectors").await;
    assert_eq!(st, StatusCode::OK, "{inspectors}");
    assert_eq!(inspectors.as_array().unwrap().len(), 10, "{inspectors}");
    let draw_on = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date()
        .tomorrow()
        .unwrap()
        .to_string();
    let (st, announced) = s
        .post(
            &regulator,
            "/api/spot-checks",
            serde_json::json!({
                "label": "社区助餐点双随机抽查", "categories": ["community_canteen"],
                "check_items": ["SP-01"],
                "seed_commitment": lc_credit::draw::commitment("a demo secret of sixteen+"),
                "public_value_sources": ["福利彩票3D"], "draw_on": draw_on,
            }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{announced}");
    assert_eq!(announced["objects"], 41, "{announced}");
    assert_eq!(announced["inspectors"], 10, "{announced}");
    // The passwords file: 0600, the administrator's first (created at this start).
    let file = s.config.data_dir.join(lc_server::demo_city::ACCOUNTS_FILE);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        lines.iter().map(|l| (l[0], l[1])).collect::<Vec<_>>(),
        [
            ("admin", "admin"),
            ("resident", "resident"),
            ("provider", "provider_staff"),
            ("worker", "community_worker"),
            ("regulator", "regulator")
        ],
        "{text}"
    );
    assert_eq!(lines[0][2], common::ADMIN_PASSWORD);
    assert!(lines[1..].iter().all(|l| l[2] == DEMO_PASSWORD));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Services near the resident's community, by walking distance.
    let (st, c) = s
        .get(&Auth::Anonymous, &format!("/api/communities/{home}"))
        .await;
    assert_eq!(st, StatusCode::OK);
    let origin = pos(&c);
    let t0 = Instant::now();
    let (st, near) = nearby(s, &format!("service=meal&community={home}")).await;
    let latency = t0.elapsed();
    assert_eq!(st, StatusCode::OK, "{near}");
    eprintln!(
        "nearby (meal, 2000 m, {} items): {:.1} ms",
        near["items"].as_array().unwrap().len(),
        latency.as_secs_f64() * 1000.0
    );
    assert_eq!(near["from"]["community"], home.as_str());
    assert_eq!(near["from"]["name"], c["name"]);
    assert_eq!(near["service"], "meal");
    assert_eq!(near["walker"], "normal");
    assert_eq!(f(&near["speed_m_per_min"]), 60.0);
    let items = near["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{near}");
    assert!(items.len() <= 10);
    // The first canteen's provider is the demo provider staff's.
    let (_, first) = s
        .get(
            &Auth::Anonymous,
            &format!(
                "/api/facilities/{}",
                items[0]["facility_id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(first["provider_code"], p["provider_code"], "{first}");

    let snapper = Snapper::new(&graph, SnapMode::Edge);
    let placed = |p: LonLat| snapper.snap(p).unwrap();
    let from = placed(origin);
    let mut last = (0, String::new());
    for it in items {
        let d = it["distance_m"].as_i64().unwrap();
        let id = it["facility_id"].as_str().unwrap().to_string();
        assert!(
            (d, id.clone()) >= last,
            "sorted by distance, then id: {near}"
        );
        last = (d, id);
        assert!(d as f64 <= 2000.0 + 0.5, "{it}");
        // A walk is never shorter than the straight line between where the ends were placed.
        let to = placed(pos(it));
        assert!(
            d as f64 + 0.5 >= from.pos.haversine_m(to.pos) - 0.01,
            "{it}: walk {d} m, straight {}",
            from.pos.haversine_m(to.pos)
        );
        assert_eq!(
            it["walk_min"].as_i64().unwrap(),
            (d as f64 / 60.0).ceil() as i64
        );
        assert_eq!(it["category"], "community_canteen");
        let offers = it["offerings"].as_array().unwrap();
        assert_eq!(offers.len(), 1, "{it}");
        assert_eq!(offers[0]["delivery"], "outlet");
        assert!(offers[0]["price_fen"].as_i64().unwrap() > 0);
        assert!(it["rating"].is_null(), "no reviews yet: {it}");
        assert!(it["opening_hours"].is_string(), "{it}");
    }

    // Independently: every canteen walked to from the community on the same graph.
    let canteens = all(s, "/api/facilities?category=community_canteen").await;
    let points: Vec<LonLat> = canteens.iter().map(pos).collect();
    let (reach, dist) = distances_within(&graph, &snapper, origin, 5000.0, &points, 300.0);
    assert!(matches!(reach, Reach::Placed));
    let mut expect: Vec<(i64, String)> = canteens
        .iter()
        .zip(&dist)
        .filter_map(|(c, d)| d.map(|d| (d.round() as i64, c["id"].as_str().unwrap().to_string())))
        .collect();
    expect.sort();
    let (st, wide) = nearby(
        s,
        &format!("service=meal&community={home}&max_m=5000&limit=50"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{wide}");
    let got: Vec<(i64, String)> = wide["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["distance_m"].as_i64().unwrap(),
                x["facility_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expect);
    assert_eq!(wide["within"], expect.len());
    assert_eq!(wide["beyond"], 41 - expect.len());
    assert_eq!(items[0]["facility_id"].as_str().unwrap(), expect[0].1);
    let within_2000 = expect.iter().filter(|(d, _)| *d as f64 <= 2000.0).count();
    assert_eq!(near["within"], within_2000);
    assert_eq!(near["beyond"], 41 - within_2000);

    // The elderly pace: the same outlets and distances, never fewer minutes.
    let (st, slow) = nearby(s, &format!("service=meal&community={home}&walker=elderly")).await;
    assert_eq!(st, StatusCode::OK, "{slow}");
    assert_eq!(f(&slow["speed_m_per_min"]), 45.0);
    let slow = slow["items"].as_array().unwrap();
    assert_eq!(slow.len(), items.len());
    for (a, b) in items.iter().zip(slow) {
        assert_eq!(a["facility_id"], b["facility_id"]);
        assert_eq!(a["distance_m"], b["distance_m"]);
        assert!(b["walk_min"].as_i64().unwrap() >= a["walk_min"].as_i64().unwrap());
        assert_eq!(
            b["walk_min"].as_i64().unwrap(),
            (b["distance_m"].as_i64().unwrap() as f64 / 45.0).ceil() as i64
        );
    }

    // From a point (the community's own position): the same answer.
    let (st, at) = nearby(
        s,
        &format!("service=meal&lon={}&lat={}", origin.lon, origin.lat),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{at}");
    assert!(at["from"]["community"].is_null());
    assert_eq!(at["items"], near["items"]);

    // Home services: cleaning reaches homes within the station's area.
    let (st, clean) = nearby(s, &format!("service=cleaning&community={home}&limit=3")).await;
    assert_eq!(st, StatusCode::OK, "{clean}");
    for it in clean["items"].as_array().unwrap() {
        let o = &it["offerings"][0];
        assert_eq!(o["delivery"], "home");
        let reaches = it["distance_m"].as_f64().unwrap() <= f(&o["home_area_m"]) + 0.5;
        assert_eq!(o["home_reaches"].as_bool().unwrap(), reaches, "{it}");
    }

    // Refusals.
    let (st, v) = nearby(s, &format!("service=massage&community={home}")).await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(v["errors"][0]["field"], "service");
    assert_eq!(v["errors"][0]["code"], "unknown_service");
    let (st, v) = nearby(s, "service=meal").await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(v["errors"][0]["code"], "required");
    let (st, v) = nearby(s, &format!("community={home}")).await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(v["errors"][0]["field"], "service");
    let (st, v) = nearby(s, "service=meal&lon=104.08").await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(v["errors"][0]["field"], "lat");
    let (st, v) = nearby(s, &format!("service=meal&community={home}&max_m=9000")).await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(v["errors"][0]["field"], "max_m");
    let (st, v) = nearby(s, &format!("service=meal&community={home}&limit=0")).await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (st, v) = nearby(s, &format!("service=meal&community={home}&walker=fast")).await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (st, v) = nearby(s, "service=meal&community=NO-SUCH").await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");
    // In the South China Sea, far from any street of the extract.
    let (st, v) = nearby(s, "service=meal&lon=112.0&lat=16.0").await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "point_off_network");
    assert!(
        v["message_en"]
            .as_str()
            .unwrap()
            .contains(" m from the walking network"),
        "{v}"
    );

    // A second start on the same database seeds nothing twice; the accounts keep working.
    let before = std::fs::read_to_string(&file).unwrap();
    let users = users_total(s).await;
    s.restart().await;
    seeded(s).await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    assert_eq!(users_total(s).await, users);
    let resident = s.login("resident", DEMO_PASSWORD).await;
    assert_eq!(me(s, &resident).await["id"], r["id"]);
}

mod chengdu {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let t0 = Instant::now();
        let mut s = TestServer::start_demo(
            Db::Sqlite,
            "demo_city",
            Some(chengdu_network()),
            lc_server::Demo::Chengdu,
        )
        .await
        .unwrap();
        eprintln!(
            "sqlite: network and seed in {:.2} s",
            t0.elapsed().as_secs_f64()
        );
        demo_city(&mut s).await;
        s.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let t0 = Instant::now();
        let Some(mut s) = TestServer::start_demo(
            Db::Postgres,
            "demo_city",
            Some(chengdu_network()),
            lc_server::Demo::Chengdu,
        )
        .await
        else {
            return;
        };
        eprintln!(
            "postgres: network and seed in {:.2} s",
            t0.elapsed().as_secs_f64()
        );
        demo_city(&mut s).await;
        s.stop().await;
    }
}

/// Without a walking network the demo is seeded all the same (home areas not computed) and
/// `nearby` says why it cannot answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_network() {
    let s = TestServer::start_demo(
        Db::Sqlite,
        "demo_city_no_network",
        None,
        lc_server::Demo::Chengdu,
    )
    .await
    .unwrap();
    assert_eq!(total(&s, "/api/communities?limit=1").await, 206);
    let cleaning = all(&s, "/api/offerings?service=cleaning").await;
    assert_eq!(cleaning.len(), 69);
    assert!(cleaning.iter().all(|o| o["area_computed_at"].is_null()));
    let (st, v) = nearby(&s, "service=meal&lon=104.08&lat=30.68").await;
    assert_error(st, &v, StatusCode::SERVICE_UNAVAILABLE, "no_network");
    assert!(v["message_zh"].as_str().unwrap().contains("步行路网"));
    // Parameters are checked first.
    let (st, v) = nearby(&s, "service=massage&lon=104.08&lat=30.68").await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    s.stop().await;
}

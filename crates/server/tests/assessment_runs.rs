//! Assessment runs computed by the server on the registry's data (`POST /api/assessments/runs`),
//! followed as jobs, stored as an import of `livingcircle assess`'s files would be; the map
//! (`/api/assessments/{id}/communities`) and two runs side by side (`/api/assessments/compare`).
//! The server walks the CAU extract (real OpenStreetMap data around Xueyuanlu, where the demo
//! district's communities stand); the stored rows are checked against an independent
//! `lc_pipeline::run_assess` call on the same inputs.

mod common;

use common::cau_network;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use common::{assert_error, Auth, TestServer};
use lc_store::sqlx;
use reqwest::StatusCode;
use serde_json::{json, Map, Value};

/// Fuyun community (富润社区), on the network.
const C1: &str = "110108010031";

/// Polls a job until it is no longer running (at most 120 s); its last answer.
async fn wait(s: &TestServer, who: &Auth, id: &str) -> Value {
    for _ in 0..2400 {
        let (st, v) = s.get(who, &format!("/api/assessments/jobs/{id}")).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        if v["status"] != json!("running") {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} still running after 120 s");
}

/// Polls a job until it is in `step` (and running).
async fn wait_for_step(s: &TestServer, who: &Auth, id: &str, step: &str) -> Value {
    for _ in 0..2400 {
        let (_, v) = s.get(who, &format!("/api/assessments/jobs/{id}")).await;
        assert_eq!(v["status"], json!("running"), "{v}");
        if v["step"] == json!(step) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} never reached {step}");
}

/// Starts a run and waits for it; the finished job.
async fn run(s: &TestServer, who: &Auth, label: &str) -> Value {
    let (st, job) = s
        .post(who, "/api/assessments/runs", json!({"label": label}))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], json!("running"), "{job}");
    assert_eq!(job["label"], json!(label));
    let done = wait(s, who, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], json!("done"), "{done}");
    done
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The registry's communities and facilities as the engine's types, read through the API.
async fn registry(s: &TestServer) -> (Vec<lc_model::Community>, Vec<lc_model::Facility>) {
    // As the engine reads them: whoever keeps the registry gets the counts in full.
    let (_, v) = s.get(&s.admin().await, "/api/communities?limit=1000").await;
    let communities = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| lc_model::Community {
            id: c["id"].as_str().unwrap().into(),
            name: c["name"].as_str().unwrap().into(),
            pos: lc_model::LonLat::new(c["lon"].as_f64().unwrap(), c["lat"].as_f64().unwrap()),
            population: c["population"].as_f64().unwrap(),
            households: num(&c["households"]),
            elderly: num(&c["elderly"]),
            children_0_3: num(&c["children_0_3"]),
            division_code: c["division_code"].as_str().map(str::to_string),
        })
        .collect();
    let (_, v) = s.get(&Auth::Anonymous, "/api/facilities?limit=1000").await;
    let facilities = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| lc_model::Facility {
            id: f["id"].as_str().unwrap().into(),
            name: f["name"].as_str().unwrap().into(),
            category: lc_model::Category::from_key(f["category"].as_str().unwrap()).unwrap(),
            pos: lc_model::LonLat::new(f["lon"].as_f64().unwrap(), f["lat"].as_f64().unwrap()),
            capacity: num(&f["capacity"]),
            floor_area_m2: num(&f["floor_area_m2"]),
            provider_code: f["provider_code"].as_str().map(str::to_string),
            division_code: f["division_code"].as_str().map(str::to_string),
        })
        .collect();
    (communities, facilities)
}

/// CSV text → rows as JSON objects of their cells (as an import stores them).
fn csv_rows(text: &str) -> Vec<Value> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            Value::Object(
                h.iter()
                    .zip(rec.iter())
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect::<Map<_, _>>(),
            )
        })
        .collect()
}

/// The same assessment, computed here: `shortcomings.csv` and `indicators.csv` rows.
async fn independent(s: &TestServer, graph: &lc_network::Graph) -> (Vec<Value>, Vec<Value>) {
    let (communities, facilities) = registry(s).await;
    let mut divisions = lc_assess::Divisions::new();
    let mut codes = BTreeSet::new();
    for c in communities
        .iter()
        .filter_map(|c| c.division_code.as_deref())
    {
        for n in [2, 4, 6, 9, 12] {
            if c.len() >= n {
                codes.insert(c[..n].to_string());
            }
        }
    }
    for code in codes {
        let (st, v) = s
            .get(&Auth::Anonymous, &format!("/api/divisions/{code}"))
            .await;
        if st == StatusCode::OK {
            divisions.insert(&code, v["name"].as_str().unwrap());
        }
    }
    let standards = lc_standards::shipped_standards().unwrap();
    let plans = lc_standards::shipped_plans().unwrap();
    let facilities = lc_pipeline::FacilityList::from(facilities);
    let run = lc_pipeline::run_assess(
        graph,
        &lc_pipeline::AssessInputs {
            standards: &standards,
            plans: &plans,
            divisions: &divisions,
            communities: &communities,
            facilities: &facilities,
            candidates: &[],
            platform: None,
        },
        &lc_pipeline::AssessOptions {
            max_distance: 1500.0,
            snap: lc_network::SnapMode::Edge,
            snap_limit: 300.0,
            communities_file: "communities.csv".into(),
        },
        &lc_pipeline::Silent,
    )
    .unwrap();
    let report = lc_report::Report {
        title: String::new(),
        communities: &communities,
        facilities: &facilities,
        standards: &standards,
        plans: &plans,
        assessment: &run.assessment,
        divisions: &divisions,
        streets: Vec::new(),
        facts: Vec::new(),
        recommendations: Vec::new(),
    };
    (
        csv_rows(&lc_report::shortcomings_csv(&report).0),
        csv_rows(&lc_report::indicators_csv(&report)),
    )
}

/// Checks a stored run against the independent computation, and its map against its rows;
/// the map's shortcoming counts per community.
async fn check_run(
    s: &TestServer,
    graph: &lc_network::Graph,
    run_id: i64,
) -> BTreeMap<String, usize> {
    let (short, ind) = independent(s, graph).await;
    assert!(!short.is_empty() && !ind.is_empty());
    // The stored indicator rows are the CSV's, in order.
    let (st, v) = s
        .get(&Auth::Anonymous, &format!("/api/assessments/{run_id}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["run"]["indicators"], json!(ind.len()));
    assert_eq!(v["indicators"], json!(ind));
    assert_eq!(v["run"]["shortcomings"], json!(short.len()));
    // The map: every community with its count and items; the stored rows (the latest run's,
    // per community) are the independent ones.
    let (st, map) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/assessments/{run_id}/communities"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{map}");
    let list = map["communities"].as_array().unwrap();
    assert_eq!(list.len(), 9, "the seed's nine communities");
    let mut counts = BTreeMap::new();
    let mut total = 0;
    for c in list {
        let id = c["community_id"].as_str().unwrap();
        let mine: Vec<&Value> = short
            .iter()
            .filter(|r| r["community_id"] == json!(id))
            .collect();
        let (st, stored) = s
            .get(
                &Auth::Anonymous,
                &format!("/api/communities/{id}/assessment"),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(stored["run"]["id"], json!(run_id));
        let stored_rows: Vec<&Value> = stored["shortcomings"].as_array().unwrap().iter().collect();
        assert_eq!(stored_rows, mine, "{id}: stored rows = run_assess's");
        assert_eq!(c["shortcomings"], json!(mine.len()), "{c}");
        let items: BTreeSet<&str> = mine
            .iter()
            .map(|r| r["requirement_id"].as_str().unwrap())
            .collect();
        let shown: BTreeSet<&str> = c["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(shown, items, "{c}");
        assert!(c["lon"].as_f64().is_some() && c["name"].as_str().is_some());
        total += mine.len();
        counts.insert(id.to_string(), mine.len());
    }
    assert_eq!(map["totals"]["shortcomings"], json!(total));
    assert_eq!(total, short.len());
    assert_eq!(
        map["totals"]["communities_short"],
        json!(counts.values().filter(|n| **n > 0).count())
    );
    counts
}

async fn runs_on_the_registry(s: &TestServer, graph: Arc<lc_network::Graph>) {
    let admin = s.admin().await;
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    let (_, resident) = s.user(&admin, "resident", "resident", json!({})).await;
    // A convenience store at Fuyun; nothing else.
    let (st, v) = s.post(&admin, "/api/facilities", json!({"id": "SHOP1", "name": "便利店", "category": "convenience_store", "lon": 116.3481, "lat": 39.9986})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    // Only regulators and administrators start runs and read jobs.
    let (st, v) = s.post(&resident, "/api/assessments/runs", json!({})).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .post(&admin, "/api/assessments/runs", json!({"label": " "}))
        .await;
    common::assert_invalid(st, &v, "out_of_range");

    // The first run, followed to the end.
    let first = run(s, &regulator, "第一次 first").await;
    assert_eq!(first["percent"], json!(100));
    let steps: Vec<&str> = first["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["read_registry", "snap", "access", "assess", "store"],
        "{first}"
    );
    // The access step counted its items: every community searched.
    let access = &first["steps"][2];
    assert_eq!(
        (access["done"].clone(), access["total"].clone()),
        (json!(9), json!(9)),
        "{first}"
    );
    assert_eq!(first["inputs"]["communities"], json!(9), "{first}");
    assert_eq!(first["inputs"]["facilities"], json!(1), "{first}");
    assert!(first["finished_at"].as_i64() >= first["started_at"].as_i64());
    for k in [
        "read_registry",
        "snap",
        "access",
        "assess",
        "store",
        "total",
    ] {
        assert!(first["timings"][k].as_f64().is_some(), "{k}: {first}");
    }
    assert_eq!(first["error"], Value::Null);
    let a = first["run_id"].as_i64().unwrap();
    let counts_a = check_run(s, &graph, a).await;
    // Stored as a run, with who started it, and audited.
    let (_, list) = s.get(&Auth::Anonymous, "/api/assessments").await;
    assert_eq!(list["total"], json!(1));
    assert_eq!(list["items"][0]["id"], json!(a));
    assert_eq!(list["items"][0]["label"], json!("第一次 first"));
    assert_eq!(
        list["items"][0]["created_by"], first["started_by"],
        "{list}"
    );
    let (st, audit) = s.get(&admin, "/api/audit?entity=assessment&limit=10").await;
    assert_eq!(st, StatusCode::OK, "{audit}");
    assert!(
        audit.to_string().contains("\"run\""),
        "the run is audited: {audit}"
    );

    // A canteen and an elderly service station at Fuyun: the second run finds Fuyun better
    // served, and the meal-site indicators move.
    for (id, cat) in [
        ("CANTEEN1", "community_canteen"),
        ("STATION1", "elderly_service_station"),
    ] {
        let (st, v) = s
            .post(
                &admin,
                "/api/facilities",
                json!({"id": id, "name": id, "category": cat, "lon": 116.3479, "lat": 39.9984}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let second = run(s, &admin, "第二次 second").await;

    let b = second["run_id"].as_i64().unwrap();
    assert!(b > a);
    let counts_b = check_run(s, &graph, b).await;
    assert!(counts_b[C1] < counts_a[C1], "{counts_a:?} {counts_b:?}");

    let (st, cmp) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/assessments/compare?a={a}&b={b}"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{cmp}");
    assert_eq!(cmp["a"]["id"], json!(a));
    assert_eq!(cmp["b"]["id"], json!(b));
    // Per community: the counts of each run, Fuyun's fixed items named.
    for c in cmp["communities"].as_array().unwrap() {
        let id = c["community_id"].as_str().unwrap();
        assert_eq!(c["shortcomings_a"], json!(counts_a[id]), "{c}");
        assert_eq!(c["shortcomings_b"], json!(counts_b[id]), "{c}");
        assert_eq!(
            c["change"],
            json!(counts_b[id] as i64 - counts_a[id] as i64)
        );
    }
    let fuyun = cmp["communities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["community_id"] == json!(C1))
        .unwrap();
    assert!(
        !fuyun["fixed"].as_array().unwrap().is_empty() && fuyun["new"] == json!([]),
        "{fuyun}"
    );
    // The street's share of elderly residents within 15 minutes of a meal site rose from 0.
    let row = cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["indicator"] == json!("CNM1")
                && r["level"] == json!("street")
                && r["region_code"] == json!("110108010")
        })
        .unwrap_or_else(|| panic!("no CNM1 street row: {cmp}"));
    assert_eq!(row["value_a"], json!(0.0), "{row}");
    let vb = row["value_b"].as_f64().unwrap();
    assert!(vb > 0.0, "{row}");
    assert_eq!(row["change"].as_f64(), Some(vb));
    assert_eq!(
        row["region_name"].as_str().map(|n| n.contains("学院路")),
        Some(true),
        "{row}"
    );
    // Every row matched in both runs (the same regions and indicators) has its change.
    for r in cmp["rows"].as_array().unwrap() {
        if let (Some(x), Some(y)) = (r["value_a"].as_f64(), r["value_b"].as_f64()) {
            assert!(
                (r["change"].as_f64().unwrap() - (y - x)).abs() < 1e-9,
                "{r}"
            );
        }
    }
    let (st, v) = s
        .get(&Auth::Anonymous, &format!("/api/assessments/compare?a={a}"))
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (st, v) = s
        .get(&Auth::Anonymous, "/api/assessments/compare?a=1&b=999")
        .await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");
    // The list, newest first, paged.
    let (_, list) = s.get(&Auth::Anonymous, "/api/assessments?limit=1").await;
    assert_eq!(
        (list["total"].clone(), list["items"][0]["id"].clone()),
        (json!(2), json!(b))
    );
    let (_, list) = s
        .get(&Auth::Anonymous, "/api/assessments?limit=1&offset=1")
        .await;
    assert_eq!(list["items"][0]["id"], json!(a));
    // The map of a district (division prefix) holds only its communities.
    let (_, map) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/assessments/{b}/communities?division=110108010031"),
        )
        .await;
    assert_eq!(strs(&map["communities"]), [C1]);

    // Cancelling: the run is held at its last step (a writer holds the run table), a second
    // start is refused meanwhile, the cancel lands before the run's rows can be committed:
    // the job ends cancelled and nothing is stored.
    let mut blocker = s.state().store.begin().await.unwrap();
    if blocker.backend() == lc_store::Backend::Postgres {
        sqlx::query("LOCK TABLE assessment_runs IN EXCLUSIVE MODE")
            .execute(blocker.conn())
            .await
            .unwrap();
    }
    let (st, job) = s.post(&regulator, "/api/assessments/runs", json!({})).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{job}");
    assert!(
        job["label"].as_str().unwrap().starts_with("平台评估 20"),
        "{job}"
    );
    let id = job["id"].as_str().unwrap().to_string();
    let held = wait_for_step(s, &regulator, &id, "store").await;
    assert_eq!(held["percent"], json!(95), "{held}");
    let (st, v) = s.post(&admin, "/api/assessments/runs", json!({})).await;
    assert_error(st, &v, StatusCode::CONFLICT, "assessment_running");
    let (st, v) = s.get(&regulator, "/api/assessments/jobs").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["items"][0]["id"], json!(id), "{v}");
    let (st, v) = s
        .post(
            &admin,
            &format!("/api/assessments/jobs/{id}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["cancel_requested"], json!(true), "{v}");
    drop(blocker);
    let end = wait(s, &regulator, &id).await;
    assert_eq!(end["status"], json!("cancelled"), "{end}");
    assert_eq!(end["run_id"], Value::Null);
    let (_, list) = s.get(&Auth::Anonymous, "/api/assessments").await;
    assert_eq!(list["total"], json!(2), "nothing stored: {list}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assessment_rows WHERE run_id > $1")
        .bind(b)
        .fetch_one(s.state().store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
    // An ended job cannot be cancelled; an unknown one is not found; a new run may start.
    let (st, v) = s
        .post(
            &admin,
            &format!("/api/assessments/jobs/{id}/cancel"),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    let (st, v) = s.get(&admin, "/api/assessments/jobs/0000").await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");
    let third = run(s, &admin, "第三次 third").await;
    assert_eq!(third["status"], json!("done"));
}

fn strs(v: &Value) -> Vec<&str> {
    common::strs(v, "community_id")
}

mod runs_on_the_registry {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let g = super::cau_network();
        let s = super::TestServer::start_with_network(
            super::common::Db::Sqlite,
            "runs_on_the_registry",
            Some(g.clone()),
        )
        .await
        .unwrap();
        super::runs_on_the_registry(&s, g).await;
        s.stop().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let g = super::cau_network();
        let Some(s) = super::TestServer::start_with_network(
            super::common::Db::Postgres,
            "runs_on_the_registry",
            Some(g.clone()),
        )
        .await
        else {
            return;
        };
        super::runs_on_the_registry(&s, g).await;
        s.stop().await;
    }
}

/// Without a walking network nothing can be assessed: 503 `no_network`, no job.
async fn no_network(s: &TestServer) {
    let admin = s.admin().await;
    let (st, v) = s.post(&admin, "/api/assessments/runs", json!({})).await;
    assert_error(st, &v, StatusCode::SERVICE_UNAVAILABLE, "no_network");
    assert!(v["message_zh"].as_str().unwrap().contains("路网"), "{v}");
    let (_, jobs) = s.get(&admin, "/api/assessments/jobs").await;
    assert_eq!(jobs["items"], json!([]));
    // The views answer without runs.
    let (st, v) = s.get(&Auth::Anonymous, "/api/assessments").await;
    assert_eq!((st, v["total"].clone()), (StatusCode::OK, json!(0)));
    let (st, v) = s
        .get(&Auth::Anonymous, "/api/assessments/1/communities")
        .await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");
}
both!(no_network);

//! Siting scenarios on the server (issue 14 item 5): the registry of candidate plots (import of
//! `candidates.csv` through lc-tables' reader, a bad line refused with its line and field and
//! nothing written; add; delete) and `POST /api/siting/runs` on the registry and the server's
//! walking network (the CAU extract around Xueyuanlu, where the test district's communities
//! stand). The chosen sites and the covered population are checked against `lc-siting` called
//! here directly on the same inputs (placed with lc-network's snapper, the instance built by
//! `instance_on_network`, solved and evaluated), not through lc-pipeline.

mod common;

use common::cau_network;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::{assert_error, assert_invalid, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Fuyun community (富润社区), on the network.
const C1: &str = "110108010031";

/// Candidate plots beside the district's communities, and one far off the extract.
const CANDIDATES: &str = "id,name,lon,lat,capacity,cost
K1,富润家园旁地块,116.3481,39.9990,,
K2,农大北区旁地块,116.3493,40.0082,120,
K3,静淑苑旁地块,116.3442,40.0038,,
K4,双泉嘉苑旁地块,116.3531,40.0093,,
K5,学府公馆旁地块,116.3563,40.0061,,
K6,清华东路地块,116.3441,40.0011,,3.5
K7,远处地块,116.4400,39.9000,,
";

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The registry's communities, facilities and candidate plots as the engine's types, read
/// through the API.
async fn registry(
    s: &TestServer,
    who: &Auth,
) -> (
    Vec<lc_model::Community>,
    Vec<lc_model::Facility>,
    Vec<lc_model::Candidate>,
) {
    let (_, v) = s.get(who, "/api/communities?limit=1000").await;
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
    let (st, v) = s.get(who, "/api/siting/candidates").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let candidates = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| lc_model::Candidate {
            id: k["id"].as_str().unwrap().into(),
            name: k["name"].as_str().unwrap().into(),
            pos: lc_model::LonLat::new(k["lon"].as_f64().unwrap(), k["lat"].as_f64().unwrap()),
            capacity: num(&k["capacity"]),
            cost: num(&k["cost"]),
        })
        .collect();
    (communities, facilities, candidates)
}

/// The same scenario computed here with lc-siting: (chosen candidate ids, covered before,
/// covered after, bound).
async fn independent(
    s: &TestServer,
    who: &Auth,
    graph: &lc_network::Graph,
    category: lc_model::Category,
    p: usize,
    radius: f64,
) -> (BTreeSet<String>, f64, f64, f64) {
    let (communities, facilities, candidates) = registry(s, who).await;
    let snapper = lc_network::Snapper::new(graph, lc_network::SnapMode::Edge);
    let place = |pts: Vec<lc_model::LonLat>| -> Vec<Option<lc_network::Anchor>> {
        snapper
            .snap_all(&pts)
            .into_iter()
            .map(|a| (a.snap_m <= 300.0).then_some(a))
            .collect()
    };
    let existing: Vec<&lc_model::Facility> = facilities
        .iter()
        .filter(|f| f.category == category)
        .collect();
    let c_at = place(communities.iter().map(|c| c.pos).collect());
    let k_at = place(candidates.iter().map(|k| k.pos).collect());
    let f_at = place(existing.iter().map(|f| f.pos).collect());
    let problem = lc_siting::Problem::Mclp { p, radius };
    let inst = lc_siting::instance_on_network(
        lc_siting::NetworkInput {
            graph,
            communities: &c_at,
            weights: communities.iter().map(|c| c.population).collect(),
            candidates: &k_at,
            candidate_capacity: vec![lc_siting::UNLIMITED; candidates.len()],
            existing: &f_at,
            existing_capacity: vec![lc_siting::UNLIMITED; existing.len()],
            max_distance: radius,
        },
        &|_| {},
    )
    .unwrap();
    let sol = lc_siting::solve(&inst, &problem, &lc_siting::Options::default()).unwrap();
    let ev = lc_siting::evaluate(&inst, &problem, &sol.chosen).unwrap();
    (
        sol.chosen
            .iter()
            .map(|&j| candidates[j].id.clone())
            .collect(),
        ev.covered_before,
        ev.covered_after,
        sol.bound.max(ev.covered_after),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(1.0)
}

async fn scenarios(s: &TestServer, graph: Arc<lc_network::Graph>) {
    let admin = s.admin().await;
    // Nothing to choose from yet.
    let run = json!({"category": "community_canteen", "sites": 2, "max_distance": 500.0});
    let (st, v) = s.post(&admin, "/api/siting/runs", run.clone()).await;
    assert_error(st, &v, StatusCode::CONFLICT, "no_candidates");
    assert!(v["message_zh"].as_str().unwrap().contains("候选"), "{v}");

    // A bad line (line 4: lat is not a number) refuses the whole file, with line and field.
    let bad = "id,name,lon,lat\nB1,好地块,116.3481,39.9990\nB2,又一块,116.3493,40.0082\nB3,坏地块,116.35,abc\n";
    let (st, v) = s
        .upload(
            &admin,
            "/api/siting/candidates/import",
            bad,
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let field = v["errors"][0]["field"].as_str().unwrap();
    assert!(field.contains("line 4") && field.contains("lat"), "{v}");
    assert!(
        v["errors"][0]["message_zh"]
            .as_str()
            .unwrap()
            .contains("第 4 行"),
        "{v}"
    );
    let (st, v) = s.get(&admin, "/api/siting/candidates").await;
    assert_eq!((st, &v["total"]), (StatusCode::OK, &json!(0)), "{v}");
    // A missing column is refused by name.
    let (st, v) = s
        .upload(
            &admin,
            "/api/siting/candidates/import",
            "id,name,lon\nB1,x,116.3\n",
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("lat"), "{v}");

    // The file imports whole; again, it replaces (nothing new).
    let (st, v) = s
        .upload(
            &admin,
            "/api/siting/candidates/import",
            CANDIDATES,
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["created"], &v["imported"]),
        (&json!(7), &json!(7)),
        "{v}"
    );
    let (st, v) = s
        .upload(
            &admin,
            "/api/siting/candidates/import",
            CANDIDATES,
            Some("text/csv"),
        )
        .await;
    assert_eq!((st, &v["created"]), (StatusCode::OK, &json!(0)), "{v}");
    let (_, v) = s.get(&admin, "/api/siting/candidates").await;
    assert_eq!(v["total"], json!(7), "{v}");
    let k1 = &v["items"][0];
    assert_eq!(
        (
            &k1["id"],
            &k1["division_code"],
            &k1["source"],
            &k1["version"]
        ),
        (&json!("K1"), &json!(C1), &json!("import"), &json!(2)),
        "K1 lies beside 富润 and takes its division: {k1}"
    );
    assert_eq!(v["items"][1]["capacity"], json!(120.0));
    assert_eq!(v["items"][5]["cost"], json!(3.5));

    // One by one: added (its division the nearest community's), a duplicate refused, deleted.
    let (st, v) = s
        .post(&admin, "/api/siting/candidates", json!({"id": "K9", "name": "临时地块", "lon": 116.3479, "lat": 39.9983, "note": "待核实"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        (&v["division_code"], &v["source"]),
        (&json!(C1), &json!("api"))
    );
    let (st, v) = s
        .post(
            &admin,
            "/api/siting/candidates",
            json!({"id": "K9", "name": "again", "lon": 116.3, "lat": 40.0}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    let (st, v) = s
        .post(
            &admin,
            "/api/siting/candidates",
            json!({"id": "-bad", "name": "", "lon": 200.0, "lat": 40.0}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = common::strs(&v["errors"], "field");
    assert!(
        fields.contains(&"id") && fields.contains(&"name") && fields.contains(&"lon"),
        "{v}"
    );
    let (st, v) = s
        .post(
            &admin,
            "/api/siting/candidates",
            json!({"id": "K8", "name": "x", "lon": 116.3, "lat": 40.0, "division_code": "999999"}),
        )
        .await;
    assert_invalid(st, &v, "unknown_reference");
    let (st, v) = s
        .call(&admin, "DELETE", "/api/siting/candidates/K9", None)
        .await;
    assert_eq!((st, &v["deleted"]), (StatusCode::OK, &json!("K9")), "{v}");
    let (st, v) = s
        .call(&admin, "DELETE", "/api/siting/candidates/K9", None)
        .await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");

    // An existing canteen at 双泉嘉苑 already covers it.
    let (st, v) = s.post(&admin, "/api/facilities", json!({"id": "OLD-CANTEEN", "name": "双泉食堂", "category": "community_canteen", "lon": 116.3532, "lat": 40.0097})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    // The scenario, against lc-siting on the same inputs.
    let (st, v) = s.post(&admin, "/api/siting/runs", run.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let cat = lc_model::Category::from_key("community_canteen").unwrap();
    let (ids, before, after, bound) = independent(s, &admin, &graph, cat, 2, 500.0).await;
    let sites = v["sites_chosen"].as_array().unwrap();
    let got: BTreeSet<String> = sites
        .iter()
        .map(|x| x["candidate_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ids, "{v}");
    assert!(!got.is_empty() && !got.contains("K7"), "{v}");
    assert!(
        close(v["covered_before"].as_f64().unwrap(), before),
        "{v} vs {before}"
    );
    assert!(
        close(v["covered_after"].as_f64().unwrap(), after),
        "{v} vs {after}"
    );
    assert!(close(v["bound"].as_f64().unwrap(), bound), "{v} vs {bound}");
    assert!(before > 0.0 && after > before, "{v}");
    // In order of what each adds; the people each brings add up to the total newly covered.
    let gains: Vec<f64> = sites
        .iter()
        .map(|x| x["newly_covered"].as_f64().unwrap())
        .collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1]), "{gains:?}");
    assert!(close(gains.iter().sum::<f64>(), after - before), "{v}");
    let last = sites.last().unwrap();
    assert!(close(last["cumulative"].as_f64().unwrap(), after), "{v}");
    assert_eq!(sites[0]["rank"], json!(1));
    for x in sites {
        let people: f64 = x["communities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["population"].as_f64().unwrap())
            .sum();
        assert!(close(people, x["newly_covered"].as_f64().unwrap()), "{x}");
    }
    let gap = v["gap"].as_f64().unwrap();
    assert!(close(gap, (bound - after).abs() / after.max(1e-12)), "{v}");
    assert_eq!(v["radius_m"], json!(500.0));
    assert_eq!(v["candidates_considered"], json!(7));
    assert_eq!(
        v["candidates_placed"],
        json!(6),
        "K7 lies off the extract: {v}"
    );
    assert_eq!(v["existing_facilities"], json!(1));
    let k7 = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["candidate_id"] == json!("K7"))
        .unwrap();
    assert_eq!((&k7["placed"], &k7["rank"]), (&json!(false), &Value::Null));

    // Kept: listed, and answered again whole.
    let id = v["id"].as_i64().unwrap();
    let (st, list) = s.get(&admin, "/api/siting/runs").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (&list["total"], &list["items"][0]["id"]),
        (&json!(1), &json!(id))
    );
    assert_eq!(list["items"][0]["category"], json!("community_canteen"));
    let (st, again) = s.get(&admin, &format!("/api/siting/runs/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again, v);
    let (st, v2) = s.get(&admin, "/api/siting/runs/999999").await;
    assert_error(st, &v2, StatusCode::NOT_FOUND, "not_found");

    // A list of candidates, and the default radius (the standards' distance for the category).
    let (st, v) = s
        .post(
            &admin,
            "/api/siting/runs",
            json!({"category": "community_canteen", "sites": 1, "candidates": ["K3", "K6", "K3"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["candidates_considered"], json!(2));
    let radius = v["radius_m"].as_f64().unwrap();
    assert!(radius > 0.0 && radius != 500.0, "{v}");
    let chosen = v["sites_chosen"][0]["candidate_id"].as_str().unwrap();
    assert!(["K3", "K6"].contains(&chosen), "{v}");

    // Errors, each naming what is wrong.
    for (body, code, field) in [
        (
            json!({"category": "canteen_x", "sites": 2}),
            "unknown_category",
            "category",
        ),
        (
            json!({"category": "community_canteen", "sites": 0}),
            "out_of_range",
            "sites",
        ),
        (
            json!({"category": "community_canteen", "sites": 21}),
            "out_of_range",
            "sites",
        ),
        (
            json!({"category": "community_canteen", "sites": 2, "max_distance": 10.0}),
            "out_of_range",
            "max_distance",
        ),
        (
            json!({"category": "community_canteen", "sites": 2, "candidates": []}),
            "out_of_range",
            "candidates",
        ),
        (
            json!({"category": "community_canteen", "sites": 2, "candidates": ["K1", "NOPE"]}),
            "unknown_reference",
            "candidates/1",
        ),
    ] {
        let (st, v) = s.post(&admin, "/api/siting/runs", body.clone()).await;
        assert_invalid(st, &v, code);
        assert_eq!(v["errors"][0]["field"], json!(field), "{body}: {v}");
        assert!(
            !v["message_zh"].as_str().unwrap().is_empty()
                && !v["message_en"].as_str().unwrap().is_empty()
        );
    }
    let (st, v) = s
        .post(
            &admin,
            "/api/siting/runs",
            json!({"category": "community_canteen"}),
        )
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (st, v) = s
        .post(
            &admin,
            "/api/siting/runs",
            json!({"category": "community_canteen", "sites": 1, "extra": 1}),
        )
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    // Only candidates off the network: nothing to choose from.
    let (st, v) = s
        .post(
            &admin,
            "/api/siting/runs",
            json!({"category": "community_canteen", "sites": 1, "candidates": ["K7"]}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "no_candidates");
    // Nothing more was stored.
    let (_, list) = s.get(&admin, "/api/siting/runs").await;
    assert_eq!(list["total"], json!(2));
    // A resident may not.
    let (_, resident) = s.user(&admin, "siting-r", "resident", json!({})).await;
    let (st, v) = s.post(&resident, "/api/siting/runs", run).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let _ = Duration::from_secs(0);
}

mod scenarios_on_the_registry {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let g = super::cau_network();
        let s = super::TestServer::start_with_network(
            super::common::Db::Sqlite,
            "siting_scenarios",
            Some(g.clone()),
        )
        .await
        .unwrap();
        super::scenarios(&s, g).await;
        s.stop().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let g = super::cau_network();
        let Some(s) = super::TestServer::start_with_network(
            super::common::Db::Postgres,
            "siting_scenarios",
            Some(g.clone()),
        )
        .await
        else {
            return;
        };
        super::scenarios(&s, g).await;
        s.stop().await;
    }
}

/// Without a walking network nothing can be sited: 503 `no_network`, nothing stored.
async fn no_network(s: &TestServer) {
    let admin = s.admin().await;
    let (st, v) = s
        .upload(
            &admin,
            "/api/siting/candidates/import",
            CANDIDATES,
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(
            &admin,
            "/api/siting/runs",
            json!({"category": "community_canteen", "sites": 2}),
        )
        .await;
    assert_error(st, &v, StatusCode::SERVICE_UNAVAILABLE, "no_network");
    assert!(v["message_zh"].as_str().unwrap().contains("路网"), "{v}");
    let (_, list) = s.get(&admin, "/api/siting/runs").await;
    assert_eq!(list["total"], json!(0));
}
both!(no_network);

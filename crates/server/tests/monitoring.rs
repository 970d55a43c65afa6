//! Statistical monitoring (issue 16 items 1–2) on SQLite and PostgreSQL: a generated month of
//! platform activity, the monthly job, and the street's series checked against figures worked
//! out by hand from the generated list; the job's idempotence and exclusion; assessment runs'
//! snapshots with the plans' targets alongside; the NBS classes of providers and outlets.

mod common;

use common::{assert_error, assert_invalid, set_clock, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const STREET: &str = "110108010";

/// The value of the one point of the series of `indicator` (cut `dimension`) of a region.
async fn point(
    s: &TestServer,
    who: &Auth,
    division: &str,
    indicator: &str,
    dimension: &str,
) -> Value {
    let path = format!(
        "/api/series?division={division}&indicator={indicator}&source=platform&dimension={}",
        dimension.replace(':', "%3A")
    );
    let (st, v) = s.get(who, &path).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let series = v["series"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{path}: {v}");
    let points = series[0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 1, "{v}");
    points[0].clone()
}

async fn value(
    s: &TestServer,
    who: &Auth,
    division: &str,
    indicator: &str,
    dimension: &str,
) -> Option<f64> {
    point(s, who, division, indicator, dimension).await["value"].as_f64()
}

/// The generated month on the five coded communities of Xueyuanlu street (110108010019, …021,
/// …024, …031, …038), seed 9. The list of what the generator made is asserted first; the
/// figures are worked out by hand from it below.
///
/// The outlets (one per community, alternately station and canteen, every other pair listed):
/// 019 station (NBS 2019:03, listed), 021 canteen (2019:09, listed), 024 station (not listed),
/// 031 canteen (not listed), 038 station (listed). Each station has a home bed in force from
/// 2026-11-01; two residents per community are on the care register since 2026-10-01.
async fn worked_example(s: &TestServer) {
    set_clock(s, "2026-12-05T03:00:00Z");
    let summary = lc_server::demo_activity::generate(
        s.state(),
        "2026-11".parse().unwrap(),
        9,
        Some(STREET),
        5,
    )
    .await
    .unwrap();
    let lines: Vec<&str> = summary.lines.iter().map(String::as_str).collect();
    assert_eq!(lines, GENERATED, "the generator's stream changed");
    let admin = s.admin().await;
    let (st, run) = s
        .post(&admin, "/api/monitor/runs", json!({"month": "2026-11"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{run}");
    assert_eq!(run["month"], json!("2026-11"));

    // Bookings completed — 019: #2 #3; 021: #4 #7; 024: #8 #9 #11; 031: #12 #13 #14;
    // 038: #16 #18 #19 → 2 + 2 + 3 + 3 + 3 = 13 (the six no-shows do not count).
    // By service: cleaning #2 #3 #8 #11 #18 = 5, meal #4 #7 #12 #13 #14 = 5, bathing #9 #16 #19
    // = 3. By class: the stations' 2 + 3 + 3 = 8 (2019:03), the canteens' 2 + 3 = 5 (2019:09).
    for division in [STREET, "110108", "1101", "11"] {
        assert_eq!(
            value(s, &admin, division, "bookings_completed", "").await,
            Some(13.0)
        );
    }
    let p = point(s, &admin, STREET, "bookings_completed", "").await;
    assert_eq!(p["denominator"], Value::Null);
    for (cut, n) in [
        ("service:cleaning", 5.0),
        ("service:meal", 5.0),
        ("service:bathing", 3.0),
        ("nbs:2019:03", 8.0),
        ("nbs:2019:09", 5.0),
    ] {
        assert_eq!(
            value(s, &admin, STREET, "bookings_completed", cut).await,
            Some(n),
            "{cut}"
        );
    }
    assert_eq!(
        value(s, &admin, "110108010024", "bookings_completed", "").await,
        Some(3.0)
    );

    // Reviews: 8, of which 好评 r1 r2 r4 r6 r7 r8 = 6, 差评 r3 r5 = 2 → satisfaction 6/8 = 75 %.
    // Cleaning: r1 good, r3 bad, r7 good → 2/3; bathing: r4, r8 good → 2/2. Community 024:
    // r3 bad, r4 good → 1/2.
    let p = point(s, &admin, STREET, "satisfaction_rate", "").await;
    assert_eq!(
        (
            p["numerator"].as_f64(),
            p["denominator"].as_f64(),
            p["value"].as_f64()
        ),
        (Some(6.0), Some(8.0), Some(75.0))
    );
    let cleaning = value(s, &admin, STREET, "satisfaction_rate", "service:cleaning")
        .await
        .unwrap();
    assert!((cleaning - 200.0 / 3.0).abs() < 1e-9, "{cleaning}");
    assert_eq!(
        value(s, &admin, STREET, "satisfaction_rate", "service:bathing").await,
        Some(100.0)
    );
    assert_eq!(
        value(s, &admin, "110108010024", "satisfaction_rate", "").await,
        Some(50.0)
    );
    assert_eq!(value(s, &admin, STREET, "bad_reviews", "").await, Some(2.0));

    // 差评 cases due in November: case 1 (deadline 11-16, still rectifying: late) and case 2
    // (deadline 11-27, rectified on time) → 1/2 = 50 %.
    let p = point(s, &admin, STREET, "bad_reviews_rectified_on_time", "").await;
    assert_eq!(
        (
            p["numerator"].as_f64(),
            p["denominator"].as_f64(),
            p["value"].as_f64()
        ),
        (Some(1.0), Some(2.0), Some(50.0))
    );

    // Visits: 10 persons due (2 per community), all visited but residents 1 (019) and 10 (024)
    // → 8/10 = 80 %; community 019: 1/2 = 50 %. No plan of Beijing has a visit-rate target.
    let p = point(s, &admin, STREET, "visit_rate", "").await;
    assert_eq!(
        (
            p["numerator"].as_f64(),
            p["denominator"].as_f64(),
            p["value"].as_f64()
        ),
        (Some(8.0), Some(10.0), Some(80.0))
    );
    assert_eq!(
        value(s, &admin, "110108010019", "visit_rate", "").await,
        Some(50.0)
    );

    // Listed outlets with their commitment (2026-11-01): 019, 021, 038 → 3; 2019:03 the two
    // stations, 2019:09 the canteen.
    assert_eq!(
        value(s, &admin, STREET, "listed_outlets", "").await,
        Some(3.0)
    );
    assert_eq!(
        value(s, &admin, STREET, "listed_outlets", "nbs:2019:03").await,
        Some(2.0)
    );
    assert_eq!(
        value(s, &admin, STREET, "listed_outlets", "nbs:2019:09").await,
        Some(1.0)
    );

    // Spot checks: 019 (no problem), 024 and 038 (rectification ordered) → 3 done, 2 failed.
    assert_eq!(
        value(s, &admin, STREET, "spot_checks_done", "").await,
        Some(3.0)
    );
    assert_eq!(
        value(s, &admin, STREET, "spot_checks_failed", "").await,
        Some(2.0)
    );
    assert_eq!(
        value(s, &admin, "110108010019", "spot_checks_failed", "").await,
        Some(0.0)
    );

    // Warnings: one per failed check, raised days 27 (024) and 1 (038); 024's resolved day 28.
    assert_eq!(
        value(s, &admin, STREET, "warnings_opened", "").await,
        Some(2.0)
    );
    assert_eq!(
        value(s, &admin, STREET, "warnings_resolved", "").await,
        Some(1.0)
    );
    assert_eq!(
        value(s, &admin, "110108010038", "warnings_resolved", "").await,
        Some(0.0)
    );

    // Home beds in force on 11-30: the three stations' → 3. No nursery has places: the rate is
    // not computable (null, never 0).
    assert_eq!(
        value(s, &admin, STREET, "home_beds_in_use", "").await,
        Some(3.0)
    );
    let p = point(s, &admin, STREET, "childcare_places_in_use", "").await;
    assert_eq!(
        (p["value"].clone(), p["denominator"].as_f64()),
        (Value::Null, Some(0.0))
    );

    // The whole series answer: the street's name and level, the month's point, no target here.
    let (st, v) = s
        .get(
            &admin,
            "/api/series?division=110108010&indicator=visit_rate&from=2026-01&to=2026-12",
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        v["division"],
        json!({"code": STREET, "name": "学院路街道", "level": "street"})
    );
    assert_eq!(v["series"][0]["name_zh"], json!("特殊困难老年人月探访率"));
    assert_eq!(v["series"][0]["target"], Value::Null);
    assert_eq!(v["series"][0]["points"][0]["period"], json!("2026-11"));
    let (_, v) = s
        .get(
            &admin,
            "/api/series?division=110108010&indicator=visit_rate&to=2026-10",
        )
        .await;
    assert_eq!(v["series"], json!([]));
    // Regulators read series; others do not.
    let (_, resident) = s.user(&admin, "series-r", "resident", json!({})).await;
    let (st, v) = s.get(&resident, "/api/series?division=11").await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
}

/// What seed 9 makes on the five communities (ids are the fresh database's).
const GENERATED: &[&str] = &[
    "110108010019 booking 1 cleaning day 10 no_show",
    "110108010019 booking 2 cleaning day 20 completed",
    "110108010019 booking 3 cleaning day 22 completed",
    "110108010019 review 1 of booking 3 cleaning good",
    "110108010021 booking 4 meal day 7 completed",
    "110108010021 booking 5 meal day 19 no_show",
    "110108010021 booking 6 meal day 20 no_show",
    "110108010021 booking 7 meal day 2 completed",
    "110108010021 review 2 of booking 7 meal good",
    "110108010024 booking 8 cleaning day 9 completed",
    "110108010024 review 3 of booking 8 cleaning bad",
    "110108010024 case 1 deadline 2026-11-16 rectifying",
    "110108010024 booking 9 bathing day 23 completed",
    "110108010024 review 4 of booking 9 bathing good",
    "110108010024 booking 10 cleaning day 1 no_show",
    "110108010024 booking 11 cleaning day 5 completed",
    "110108010031 booking 12 meal day 20 completed",
    "110108010031 review 5 of booking 12 meal bad",
    "110108010031 case 2 deadline 2026-11-27 rectified on_time",
    "110108010031 booking 13 meal day 3 completed",
    "110108010031 review 6 of booking 13 meal good",
    "110108010031 booking 14 meal day 2 completed",
    "110108010031 booking 15 meal day 16 no_show",
    "110108010038 booking 16 bathing day 13 completed",
    "110108010038 booking 17 cleaning day 27 no_show",
    "110108010038 booking 18 cleaning day 15 completed",
    "110108010038 review 7 of booking 18 cleaning good",
    "110108010038 booking 19 bathing day 22 completed",
    "110108010038 review 8 of booking 19 bathing good",
    "110108010019 visit resident 1 none",
    "110108010019 visit resident 2 day 4",
    "110108010021 visit resident 5 day 24",
    "110108010021 visit resident 6 day 25",
    "110108010024 visit resident 9 day 12",
    "110108010024 visit resident 10 none",
    "110108010031 visit resident 13 day 14",
    "110108010031 visit resident 14 day 16",
    "110108010038 visit resident 17 day 15",
    "110108010038 visit resident 18 day 10",
    "110108010019 spot-check ACT-110108010019 day 4 no_problem",
    "110108010024 spot-check ACT-110108010024 day 27 rectify_ordered",
    "110108010024 warning of result 2 day 27 resolved day 28",
    "110108010038 spot-check ACT-110108010038 day 1 rectify_ordered",
    "110108010038 warning of result 3 day 1 open",
];

both!(worked_example);

/// The platform's rows of a month, counted in the database.
async fn stored_rows(s: &TestServer, month: &str) -> i64 {
    lc_store::sqlx::query_scalar(
        "SELECT COUNT(*) FROM indicator_series WHERE source = 'platform' AND period = $1",
    )
    .bind(month.to_string())
    .fetch_one(s.state().store.pool())
    .await
    .unwrap()
}

/// Every value of a region's platform series, without the run ids.
async fn values_of(s: &TestServer, who: &Auth, division: &str) -> Value {
    let (st, mut v) = s
        .get(
            who,
            &format!("/api/series?division={division}&source=platform&dimension=*"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    for series in v["series"].as_array_mut().unwrap() {
        for p in series["points"].as_array_mut().unwrap() {
            p.as_object_mut().unwrap().remove("run");
        }
    }
    v
}

/// The monthly job replaces a month atomically: run again, it writes the same values (no
/// duplicate); runs started together never interleave (each lands whole or answers 409
/// `monitor_running`). Bad queries are refused with the field and the reason.
async fn idempotent_and_exclusive(s: &TestServer) {
    set_clock(s, "2026-12-05T03:00:00Z");
    lc_server::demo_activity::generate(s.state(), "2026-10".parse().unwrap(), 7, None, 5)
        .await
        .unwrap();
    // A month is generated once.
    let again =
        lc_server::demo_activity::generate(s.state(), "2026-10".parse().unwrap(), 7, None, 5).await;
    assert_eq!(again.unwrap_err().code, "conflict");
    let admin = s.admin().await;
    let (st, first) = s
        .post(&admin, "/api/monitor/runs", json!({"month": "2026-10"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{first}");
    let n = first["rows_written"].as_i64().unwrap();
    assert!(n > 100, "{first}");
    assert_eq!(stored_rows(s, "2026-10").await, n);
    let before = values_of(s, &admin, STREET).await;
    assert!(!before["series"].as_array().unwrap().is_empty());

    let (st, second) = s
        .post(&admin, "/api/monitor/runs", json!({"month": "2026-10"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{second}");
    assert_eq!(second["rows_written"].as_i64(), Some(n));
    assert!(second["id"].as_i64() > first["id"].as_i64());
    assert_eq!(stored_rows(s, "2026-10").await, n);
    assert_eq!(values_of(s, &admin, STREET).await, before);

    // Four runs at once.
    let body = json!({"month": "2026-10"});
    let (a, b, c, d) = tokio::join!(
        s.post(&admin, "/api/monitor/runs", body.clone()),
        s.post(&admin, "/api/monitor/runs", body.clone()),
        s.post(&admin, "/api/monitor/runs", body.clone()),
        s.post(&admin, "/api/monitor/runs", body.clone()),
    );
    let mut landed = 0;
    for (st, v) in [a, b, c, d] {
        if st == StatusCode::OK {
            landed += 1;
            assert_eq!(v["rows_written"].as_i64(), Some(n), "{v}");
        } else {
            assert_error(st, &v, StatusCode::CONFLICT, "monitor_running");
        }
    }
    assert!(landed >= 1);
    assert_eq!(stored_rows(s, "2026-10").await, n);
    assert_eq!(values_of(s, &admin, STREET).await, before);
    let (_, runs) = s.get(&admin, "/api/monitor/runs").await;
    assert_eq!(runs["items"].as_array().unwrap().len(), 2 + landed);
    assert_eq!(runs["items"][0]["run_by"], json!("api"));

    // The hourly sweep's part: November (the month just ended by the clock) once, then nothing.
    let swept = lc_server::domains::monitoring::run_due(s.state())
        .await
        .unwrap();
    assert_eq!(swept.map(|r| r.month), Some("2026-11".to_string()));
    assert!(lc_server::domains::monitoring::run_due(s.state())
        .await
        .unwrap()
        .is_none());

    // Refusals.
    let (st, v) = s.get(&admin, "/api/series").await;
    assert_invalid(st, &v, "required");
    let (st, v) = s.get(&admin, "/api/series?division=1101080").await;
    assert_invalid(st, &v, "invalid_division_code");
    let (st, v) = s
        .get(&admin, "/api/series?division=11&indicator=nope")
        .await;
    assert_invalid(st, &v, "unknown_indicator");
    let (st, v) = s.get(&admin, "/api/series?division=11&from=2026-13").await;
    assert_invalid(st, &v, "invalid_month");
    let (st, v) = s.get(&admin, "/api/series?division=11&source=x").await;
    assert_invalid(st, &v, "invalid_source");
    let (st, v) = s
        .post(&admin, "/api/monitor/runs", json!({"month": "2027-01"}))
        .await;
    assert_invalid(st, &v, "future_month");
    let (st, v) = s
        .post(&admin, "/api/monitor/runs", json!({"month": "2026/10"}))
        .await;
    assert_invalid(st, &v, "invalid_month");
    let (st, v) = s
        .post(
            &admin,
            "/api/monitor/runs",
            json!({"month": "2026-10", "x": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
}
both!(idempotent_and_exclusive);

/// Every assessment run (here imported) stores its indicators per region in its own
/// transaction; a period answers with its latest run; the plan's target stands beside a
/// region's series where the plan's jurisdiction covers it (GS04 in a district of Gansu).
async fn assessment_snapshots(s: &TestServer) {
    let admin = s.admin().await;
    let import = |value: f64| {
        json!({
            "label": "snapshot",
            "shortcomings_csv": "community_id,requirement\n",
            "indicators_csv": format!(
                "plan,indicator,level,region_code,value,target,numerator,denominator\n\
                 CN,CNM1,all,,{value},,5,8\n\
                 CN,CNM1,street,110108010,{value},,5,8\n\
                 CN,CNM1,community,110108010031,50,,1,2\n\
                 GS,GS04,district,620102,3.9,4.5,39,10000\n\
                 GS,GS04,district,6201020,3.9,4.5,39,10000\n"
            ),
        })
    };
    set_clock(s, "2026-11-20T03:00:00Z");
    let (st, v) = s.post(&admin, "/api/assessments", import(62.5)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let first = v["run"]["id"].as_i64().unwrap();
    set_clock(s, "2026-12-02T03:00:00Z");
    let (st, v) = s.post(&admin, "/api/assessments", import(70.0)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.post(&admin, "/api/assessments", import(75.0)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let third = v["run"]["id"].as_i64().unwrap();

    let (st, v) = s
        .get(&admin, "/api/series?division=110108010&indicator=CNM1")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["division"]["level"], json!("street"));
    let series = &v["series"][0];
    assert_eq!(series["source"], json!("assessment"));
    let points: Vec<(String, i64, f64)> = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap().to_string(),
                p["run"].as_i64().unwrap(),
                p["value"].as_f64().unwrap(),
            )
        })
        .collect();
    // November's one run; December's latest of two.
    assert_eq!(
        points,
        [
            ("2026-11".to_string(), first, 62.5),
            ("2026-12".to_string(), third, 75.0)
        ]
    );
    assert_eq!(series["points"][0]["numerator"], json!(5.0));
    // No plan of Beijing states a CNM1 threshold (a monitoring indicator): no target.
    assert_eq!(series["target"], Value::Null);
    // The community row under the community's division code; the whole area under `all`.
    let (_, v) = s
        .get(
            &admin,
            "/api/series?division=110108010031&indicator=CNM1&to=2026-11",
        )
        .await;
    assert_eq!(v["series"][0]["points"][0]["value"], json!(50.0));
    let (_, v) = s
        .get(
            &admin,
            "/api/series?division=all&indicator=CNM1&from=2026-12",
        )
        .await;
    assert_eq!(v["series"][0]["points"][0]["value"], json!(75.0));
    // Gansu's target of GS04 beside a Gansu district's series; a row whose code does not fit
    // its level (7 digits) was left out.
    let (_, v) = s
        .get(&admin, "/api/series?division=620102&indicator=GS04")
        .await;
    let series = &v["series"][0];
    assert_eq!(series["target"]["plan"], json!("GS"));
    assert_eq!(series["target"]["threshold"], json!(4.5));
    assert_eq!(series["target"]["comparison"], json!(">="));
    assert_eq!(series["points"].as_array().unwrap().len(), 2);
    let stray: i64 = lc_store::sqlx::query_scalar(
        "SELECT COUNT(*) FROM indicator_series WHERE division_code = '6201020'",
    )
    .fetch_one(s.state().store.pool())
    .await
    .unwrap();
    assert_eq!(stray, 0);
    // The catalogue names both kinds.
    let (st, v) = s.get(&Auth::Anonymous, "/api/series/indicators").await;
    assert_eq!(st, StatusCode::OK);
    let platform: Vec<&str> = v["platform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert!(platform.contains(&"visit_rate") && platform.contains(&"bookings_completed"));
    assert!(v["assessment"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["key"] == json!("GS21") && i["threshold"] == json!(100.0)));
}
both!(assessment_snapshots);

/// Providers and outlets carry a class of the NBS classification, checked against the data
/// file; the classification is public.
async fn nbs_classes(s: &TestServer) {
    let admin = s.admin().await;
    let (st, v) = s.get(&Auth::Anonymous, "/api/series/nbs-classes").await;
    assert_eq!(st, StatusCode::OK);
    let c = &v["classifications"][0];
    assert_eq!(c["version"], json!("2019"));
    assert_eq!(c["status"], json!("U"));
    assert_eq!(c["classes"].as_array().unwrap().len(), 12);
    assert_eq!(c["classes"][2]["key"], json!("2019:03"));
    assert_eq!(c["classes"][2]["name_zh"], json!("养老服务"));

    let code = common::uscc(1601);
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": code, "name": "分类测试机构", "nbs_class": "2019:13"}),
        )
        .await;
    assert_invalid(st, &v, "unknown_nbs_class");
    assert!(
        v["errors"][0]["message_en"]
            .as_str()
            .unwrap()
            .contains("2019:12"),
        "{v}"
    );
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": code, "name": "分类测试机构", "nbs_class": "2019:03"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["nbs_class"], json!("2019:03"));
    let (st, v) = s
        .patch(
            &admin,
            &format!("/api/providers/{code}"),
            json!({"nbs_class": "2020:03"}),
        )
        .await;
    assert_invalid(st, &v, "unknown_nbs_class");
    let (st, v) = s
        .patch(
            &admin,
            &format!("/api/providers/{code}"),
            json!({"nbs_class": "2019:01"}),
        )
        .await;
    assert_eq!(
        (st, &v["nbs_class"]),
        (StatusCode::OK, &json!("2019:01")),
        "{v}"
    );
    let f = json!({"id": "NBS-1", "name": "分类测试网点", "category": "community_canteen", "lon": 116.35, "lat": 40.0, "provider_code": code, "nbs_class": "09"});
    let (st, v) = s.post(&admin, "/api/facilities", f.clone()).await;
    assert_invalid(st, &v, "unknown_nbs_class");
    let mut f = f;
    f["nbs_class"] = json!("2019:09");
    let (st, v) = s.post(&admin, "/api/facilities", f).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, v) = s.get(&Auth::Anonymous, "/api/facilities/NBS-1").await;
    assert_eq!(v["nbs_class"], json!("2019:09"));
}
both!(nbs_classes);

//! The care domain (issue 11) on SQLite and PostgreSQL: the register with its scope and
//! masking, entitlements, grants (idempotent), the bookings interface of the ledger (debits and
//! reversals idempotent, also when raced), statements that add up, visits, referrals, missed
//! visits and the monthly visit rate.

mod common;

use std::sync::Arc;

use common::{assert_error, assert_invalid, Auth, TestServer};
use lc_server::domains::care::ledger::{debit_for_booking, reverse_for_booking, BookingDebit};
use lc_services::time::{parse_date, start_of_day, YearMonth};
use reqwest::StatusCode;
use serde_json::{json, Value};

const C1: &str = "110108010031";
const C2: &str = "110108010021";
const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";

struct World {
    admin: Auth,
    worker: Auth,
    worker_id: i64,
    regulator: Auth,
    resident: Auth,
    staff: Auth,
    /// Residents: 0 in C1 with an account, 1 in C1, 2 in C2.
    residents: Vec<i64>,
}

async fn world(s: &TestServer) -> World {
    let admin = s.admin().await;
    for (code, name) in [(P, "甲助餐公司"), (Q, "乙养老公司")] {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": code, "name": name}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (ruid, resident) = s.user(&admin, "r1", "resident", json!({})).await;
    let mut residents = Vec::new();
    for (c, name, uid) in [
        (C1, "张三", Some(ruid)),
        (C1, "李四", None),
        (C2, "王五", None),
    ] {
        let (st, v) = s
            .post(
                &admin,
                "/api/residents",
                json!({"community_id": c, "name": name, "phone": "13700001234", "user_id": uid}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        residents.push(v["id"].as_i64().unwrap());
    }
    let (worker_id, worker) = s
        .user(
            &admin,
            "w1",
            "community_worker",
            json!({"community_id": C1}),
        )
        .await;
    let (_, regulator) = s.user(&admin, "g1", "regulator", json!({})).await;
    let (_, staff) = s
        .user(&admin, "p1", "provider_staff", json!({"provider_code": P}))
        .await;
    World {
        admin,
        worker,
        worker_id,
        regulator,
        resident,
        staff,
        residents,
    }
}

fn present() -> YearMonth {
    YearMonth::of_instant(lc_store::now_ms()).unwrap()
}

async fn register_scope_and_masking(s: &TestServer) {
    let w = world(s).await;
    let (st, v) = s.get(&w.admin, "/api/care/categories").await;
    assert_eq!((st, v.as_array().map(Vec::len)), (StatusCode::OK, Some(10)));

    // A community worker enters their own community's residents, not another's.
    let body = json!({"resident_id": w.residents[0], "categories": ["advanced_age", "living_alone"], "since": "2025-01-01", "visitor_user_id": w.worker_id, "notes": "耳背，需大声说话"});
    let (st, v) = s.post(&w.worker, "/api/care/register", body.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(
        (v["community_id"].as_str(), v["category_list"].clone()),
        (Some(C1), json!(["living_alone", "advanced_age"]))
    );
    let (st, v) = s.post(&w.worker, "/api/care/register", body).await;
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    let (st, _) = s
        .post(
            &w.worker,
            "/api/care/register",
            json!({"resident_id": w.residents[2], "categories": ["dibao"], "since": "2025-01-01"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .post(&w.admin, "/api/care/register", json!({"resident_id": w.residents[2], "categories": ["dibao", "nonsense"], "since": "2025-01-01"}))
        .await;
    assert_invalid(st, &v, "unknown_category");
    let (st, v) = s
        .post(
            &w.admin,
            "/api/care/register",
            json!({"resident_id": 999999, "categories": ["dibao"], "since": "2025-01-01"}),
        )
        .await;
    assert_invalid(st, &v, "unknown_reference");
    let (st, v) = s
        .post(&w.admin, "/api/care/register", json!({"resident_id": w.residents[2], "categories": ["dibao"], "since": "2025-01-01", "visitor_user_id": 1}))
        .await;
    assert_invalid(st, &v, "unknown_reference");
    let (st, v) = s
        .post(&w.admin, "/api/care/register", json!({"resident_id": w.residents[2], "categories": ["dibao"], "since": "2025-01-01", "visitor_name": "志愿者赵"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let other = v["id"].as_i64().unwrap();
    let (st, _) = s.post(&w.regulator, "/api/care/register", json!({})).await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "regulators read the register, they do not keep it"
    );

    // Lists: scoped and masked.
    let (_, v) = s.get(&w.worker, "/api/care/register").await;
    assert_eq!(v["total"], json!(1), "{v}");
    assert_eq!(
        (
            v["items"][0]["resident_name"].as_str(),
            v["items"][0]["notes"].as_str()
        ),
        (Some("张*"), Some("***"))
    );
    let (_, v) = s
        .get(&w.worker, &format!("/api/care/register?community_id={C2}"))
        .await;
    assert_eq!(v["total"], json!(0), "a filter cannot widen the scope");
    let (_, v) = s
        .get(&w.regulator, "/api/care/register?category=dibao")
        .await;
    assert_eq!(v["total"], json!(1));
    assert_eq!(v["items"][0]["visitor_name"], json!("志***"));
    let (_, v) = s
        .get(&w.regulator, "/api/care/register?category=dibao_edge")
        .await;
    assert_eq!(v["total"], json!(0), "category filter matches whole keys");

    // One record: in full, staff reads logged; the resident reads their own.
    let (st, v) = s.get(&w.worker, &format!("/api/care/register/{id}")).await;
    assert_eq!(
        (st, v["resident_name"].as_str(), v["notes"].as_str()),
        (StatusCode::OK, Some("张三"), Some("耳背，需大声说话"))
    );
    let (st, _) = s
        .get(&w.worker, &format!("/api/care/register/{other}"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .get(&w.resident, &format!("/api/care/register/{id}"))
        .await;
    assert_eq!(
        (st, v["resident_id"].as_i64()),
        (StatusCode::OK, Some(w.residents[0]))
    );
    let (st, _) = s
        .get(&w.resident, &format!("/api/care/register/{other}"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, log) = s
        .get(
            &w.admin,
            &format!("/api/access-log?entity=care_register&entity_id={id}"),
        )
        .await;
    let roles: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["community_worker"], "staff reads only: {log}");
    let (st, v) = s.get(&w.admin, "/api/care/register/abc").await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");

    // Compare-and-set.
    let path = format!("/api/care/register/{id}");
    let (st, v) = s
        .patch(&w.worker, &path, json!({"until": "2026-01-31"}))
        .await;
    assert_eq!(
        (st, v["version"].as_i64(), v["until_date"].as_str()),
        (StatusCode::OK, Some(1), Some("2026-01-31")),
        "{v}"
    );
    let (st, _, _) = s
        .raw(
            &w.worker,
            "PATCH",
            &path,
            Some((json!({"notes": "x"}).to_string(), "application/json")),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let resp = s
        .request(&w.worker, "PATCH", &path)
        .header("if-match", "\"1\"")
        .json(&json!({"notes": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT, "stale If-Match");
    let (st, v) = s
        .patch(&w.worker, &path, json!({"until": "2024-01-01"}))
        .await;
    assert_invalid(st, &v, "before_since");
    let (st, v) = s
        .patch(&w.worker, &path, json!({"resident_id": w.residents[1]}))
        .await;
    assert_invalid(st, &v, "immutable");
    let (st, v) = s.patch(&w.worker, &path, json!({"until": null})).await;
    assert_eq!((st, v["until_date"].clone()), (StatusCode::OK, Value::Null));
    // 20 concurrent PATCHes against one version: exactly one lands.
    let (_, cur) = s.get(&w.admin, &path).await;
    let ver = cur["version"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let rb = s
            .request(&w.admin, "PATCH", &path)
            .header("if-match", format!("\"{ver}\""))
            .json(&json!({"notes": format!("n{i}")}));
        tasks.push(tokio::spawn(
            async move { rb.send().await.unwrap().status() },
        ));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {}
            other => panic!("{other}"),
        }
    }
    assert_eq!(ok, 1);
}
both!(register_scope_and_masking);

async fn debit(s: &TestServer, d: BookingDebit) -> i64 {
    let mut tx = s.state().store.begin().await.unwrap();
    let got = debit_for_booking(tx.conn(), &d).await.unwrap();
    tx.commit().await.unwrap();
    got
}

async fn reverse(s: &TestServer, booking: i64) -> i64 {
    let mut tx = s.state().store.begin().await.unwrap();
    let got = reverse_for_booking(tx.conn(), booking, lc_store::now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    got
}

fn booking(
    resident_id: i64,
    booking_id: i64,
    service: &str,
    amount_fen: i64,
    provider: &str,
) -> BookingDebit {
    BookingDebit {
        resident_id,
        provider_uscc: provider.into(),
        booking_id,
        service: service.into(),
        amount_fen,
        at_ms: lc_store::now_ms(),
    }
}

async fn grants_debits_and_statements(s: &TestServer) {
    let w = world(s).await;
    let month = present().to_string();
    // Rules: 特困 200 yuan of meals (at most 10 yuan a meal); 高龄 100 yuan of meals; 高龄 30 yuan of bathing.
    for (body, status) in [
        (
            json!({"category": "tekun", "service": "meal", "services_per_month": 20, "per_service_cap_fen": 1000}),
            StatusCode::CREATED,
        ),
        (
            json!({"category": "advanced_age", "service": "meal", "monthly_fen": 10000}),
            StatusCode::CREATED,
        ),
        (
            json!({"category": "advanced_age", "service": "bathing", "monthly_fen": 3000}),
            StatusCode::CREATED,
        ),
        (
            json!({"category": "advanced_age", "service": "bathing", "monthly_fen": 1}),
            StatusCode::CONFLICT,
        ),
    ] {
        let (st, v) = s.post(&w.regulator, "/api/care/entitlements", body).await;
        assert_eq!(st, status, "{v}");
    }
    let (st, _) = s.post(&w.worker, "/api/care/entitlements", json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, rules) = s.get(&w.resident, "/api/care/entitlements").await;
    assert_eq!(rules.as_array().unwrap().len(), 3);
    let meal_rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == json!("tekun"))
        .unwrap()
        .clone();
    assert_eq!(meal_rule["monthly_fen"], json!(20000));

    // Person 0: 特困 and 高龄 → meals 200 yuan capped 10 a meal (the higher rule), bathing 30.
    // Person 1: 高龄 → meals 100, bathing 30. Person 2 (C2): not registered.
    let mut ids = Vec::new();
    for (r, cats) in [
        (w.residents[0], json!(["tekun", "advanced_age"])),
        (w.residents[1], json!(["advanced_age"])),
    ] {
        let (st, v) = s
            .post(
                &w.worker,
                "/api/care/register",
                json!({"resident_id": r, "categories": cats, "since": "2025-01-01"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    let (st, v) = s
        .post(&w.regulator, "/api/care/grants", json!({"month": month}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["persons"].as_u64(),
            v["granted"].as_u64(),
            v["amount_fen"].as_i64()
        ),
        (Some(2), Some(4), Some(20000 + 3000 + 10000 + 3000)),
        "{v}"
    );
    // Twice, and concurrently: granted once.
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let rb = s
            .request(&w.admin, "POST", "/api/care/grants")
            .json(&json!({"month": month}));
        tasks.push(tokio::spawn(async move {
            let r = rb.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }));
    }
    for t in tasks {
        let (st, v) = t.await.unwrap();
        assert_eq!(
            (st, v["granted"].as_u64(), v["already_granted"].as_u64()),
            (StatusCode::OK, Some(0), Some(4)),
            "{v}"
        );
    }
    let (st, v) = s
        .post(
            &w.regulator,
            "/api/care/grants",
            json!({"month": present().next().to_string()}),
        )
        .await;
    assert_invalid(st, &v, "future_month");
    let (st, v) = s
        .post(
            &w.regulator,
            "/api/care/grants",
            json!({"month": "2026-13"}),
        )
        .await;
    assert_invalid(st, &v, "invalid_month");
    let (_, v) = s
        .get(
            &w.resident,
            &format!("/api/care/register/{}/balance", ids[0]),
        )
        .await;
    assert_eq!(
        v["items"],
        json!([{"service": "bathing", "balance_fen": 3000, "cap_fen": null}, {"service": "meal", "balance_fen": 20000, "cap_fen": 1000}]),
        "{v}"
    );
    let (st, _) = s
        .get(
            &w.resident,
            &format!("/api/care/register/{}/balance", ids[1]),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The bookings interface: a 15-yuan meal is paid 10 (the cap); repeated, the same 10.
    let r0 = w.residents[0];
    assert_eq!(debit(s, booking(r0, 1, "meal", 1500, P)).await, 1000);
    assert_eq!(debit(s, booking(r0, 1, "meal", 1500, P)).await, 1000);
    assert_eq!(
        debit(s, booking(r0, 1, "meal", 99999, Q)).await,
        1000,
        "the first call's amount"
    );
    assert_eq!(
        debit(s, booking(w.residents[2], 2, "meal", 1500, P)).await,
        0,
        "not in the register"
    );
    assert_eq!(
        debit(s, booking(r0, 3, "cleaning", 1500, P)).await,
        0,
        "nothing for that service"
    );
    assert_eq!(
        debit(s, booking(w.residents[1], 4, "bathing", 5000, Q)).await,
        3000,
        "at most the balance"
    );
    assert_eq!(
        debit(s, booking(w.residents[1], 5, "bathing", 5000, Q)).await,
        0,
        "nothing left"
    );
    // A bad call is refused, not a 500, and leaves nothing.
    let mut tx = s.state().store.begin().await.unwrap();
    let e = debit_for_booking(tx.conn(), &booking(r0, 6, "meal", -1, P))
        .await
        .unwrap_err();
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = debit_for_booking(tx.conn(), &booking(r0, 6, "meal", 1, "not-a-code"))
        .await
        .unwrap_err();
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    drop(tx);

    // 20 concurrent debits of one booking: one entry.
    let st = Arc::new(s.state().store.clone());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = st.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = debit_for_booking(tx.conn(), &booking(r0, 7, "meal", 800, P))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            got
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 800);
    }
    // 20 concurrent debits of different bookings on one balance never overdraw it: bathing 30
    // yuan, 20 × 2 yuan → exactly 15 are paid.
    let mut tasks = Vec::new();
    for b in 100..120 {
        let store = st.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = debit_for_booking(tx.conn(), &booking(r0, b, "bathing", 200, Q))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            got
        }));
    }
    let mut paid = Vec::new();
    for t in tasks {
        paid.push(t.await.unwrap());
    }
    assert_eq!(paid.iter().sum::<i64>(), 3000);
    assert_eq!(paid.iter().filter(|x| **x == 200).count(), 15);
    // A rolled-back debit leaves nothing: the booking can be debited later.
    {
        let mut tx = s.state().store.begin().await.unwrap();
        assert_eq!(
            debit_for_booking(tx.conn(), &booking(r0, 8, "meal", 500, P))
                .await
                .unwrap(),
            500
        );
    }
    assert_eq!(debit(s, booking(r0, 8, "meal", 500, P)).await, 500);
    assert_eq!(reverse(s, 8).await, 500);
    assert_eq!(reverse(s, 8).await, 500);
    // Reversals: once, concurrently too.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = st.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let got = reverse_for_booking(tx.conn(), 1, lc_store::now_ms())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            got
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 1000);
    }
    assert_eq!(reverse(s, 2).await, 0, "nothing was debited");
    assert_eq!(reverse(s, 999).await, 0, "no such booking");
    assert_eq!(
        debit(s, booking(r0, 1, "meal", 1500, P)).await,
        1000,
        "a reversed booking is not debited again"
    );

    // Balances are sums of postings, statements add up.
    let (_, v) = s
        .get(&w.admin, &format!("/api/care/register/{}/balance", ids[0]))
        .await;
    assert_eq!(v["items"][0]["balance_fen"], json!(0), "bathing spent: {v}");
    assert_eq!(
        v["items"][1]["balance_fen"],
        json!(20000 - 800),
        "meal: 1000 and 500 debited then reversed, 800 debited: {v}"
    );
    let (_, stmt) = s
        .get(
            &w.resident,
            &format!("/api/care/register/{}/statement?month={month}", ids[0]),
        )
        .await;
    assert_eq!(
        (stmt["opening_fen"].as_i64(), stmt["closing_fen"].as_i64()),
        (Some(0), Some(19200)),
        "{stmt}"
    );
    let lines_sum: i64 = stmt["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(lines_sum, 19200);
    let meal = stmt["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["service"] == json!("meal"))
        .unwrap();
    assert_eq!(
        (
            meal["granted_fen"].as_i64(),
            meal["debited_fen"].as_i64(),
            meal["reversed_fen"].as_i64(),
            meal["closing_fen"].as_i64()
        ),
        (Some(20000), Some(2300), Some(1500), Some(19200))
    );
    let (st, csv, _) = s
        .raw(
            &w.resident,
            "GET",
            &format!("/api/care/register/{}/statement.csv?month={month}", ids[0]),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(csv.starts_with("month,date,kind,service,resident_id,provider_uscc,booking_id,journal_id,amount_fen,amount_yuan"), "{csv}");
    assert_eq!(
        csv.lines().count(),
        1 + stmt["lines"].as_array().unwrap().len()
    );
    // Providers: P got meals 1000 − 1000 + 800 = 800; Q bathing 3000 + 3000.
    let (st, v) = s
        .get(
            &w.staff,
            &format!("/api/care/providers/{P}/statement?month={month}"),
        )
        .await;
    assert_eq!(
        (st, v["payable_fen"].as_i64()),
        (StatusCode::OK, Some(800)),
        "{v}"
    );
    let (st, _) = s
        .get(
            &w.staff,
            &format!("/api/care/providers/{Q}/statement?month={month}"),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, v) = s
        .get(&w.regulator, &format!("/api/care/payables?month={month}"))
        .await;
    assert_eq!(
        v["items"],
        json!([{"provider_uscc": P, "debited_fen": 2300, "reversed_fen": 1500, "payable_fen": 800}, {"provider_uscc": Q, "debited_fen": 6000, "reversed_fen": 0, "payable_fen": 6000}]),
        "{v}"
    );
    assert_eq!(v["total_fen"], json!(6800));
    let (_, csv, _) = s
        .raw(
            &w.regulator,
            "GET",
            &format!("/api/care/payables.csv?month={month}"),
            None,
        )
        .await;
    assert!(
        csv.contains(&format!("{month},{P},2300,1500,800,8.00")),
        "{csv}"
    );
    // The whole ledger checks, and the funds gave what persons and providers hold.
    let (_, v) = s.get(&w.admin, "/api/care/ledger/check").await;
    assert_eq!(
        (v["ok"].as_bool(), v["negative_accounts"].clone()),
        (Some(true), json!([])),
        "{v}"
    );
    let (st, v) = s.get(&w.admin, "/api/care/payables?month=2026-1").await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
}
both!(grants_debits_and_statements);

/// Milliseconds of a civil time in Asia/Shanghai.
fn shanghai(date: &str, hh: i8, mm: i8) -> i64 {
    // Asia/Shanghai keeps UTC+8 without daylight saving: minutes after midnight add up.
    start_of_day(parse_date(date).unwrap()).unwrap() + (hh as i64 * 60 + mm as i64) * 60_000
}

async fn visits_and_rate(s: &TestServer) {
    let w = world(s).await;
    let last = present().previous();
    let last_day = last.last_day().to_string();
    let first_of_present = present().first_day().to_string();
    // Person 0 since 2025 (not visited last month); person 1 added on last month's last day,
    // visited at 23:30 that day; person 2 (C2) left the month before last.
    let entries = [
        (w.residents[0], "2025-01-01".to_string(), None),
        (w.residents[1], last_day.clone(), None),
        (
            w.residents[2],
            "2025-01-01".to_string(),
            Some(last.previous().first_day().to_string()),
        ),
    ];
    let mut ids = Vec::new();
    for (r, since, until) in entries {
        let (st, v) = s.post(&w.admin, "/api/care/register", json!({"resident_id": r, "categories": ["living_alone"], "since": since, "until": until, "visitor_user_id": w.worker_id})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    let visit = |id: i64, date: &str, start: &str, end: &str| json!({"register_id": id, "mode": "home", "date": date, "start": start, "end": end, "place": "家中", "outcome": "身体尚可", "needs": [{"service": "meal", "text": "想订午餐"}, {"text": "灯泡坏了"}]});
    let (st, v) = s
        .post(
            &w.worker,
            "/api/care/visits",
            visit(ids[1], &last_day, "23:30", "23:59"),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["started_at"].as_i64(), Some(shanghai(&last_day, 23, 30)));
    assert_eq!(
        (v["month"].as_str(), v["visitor_user_id"].as_i64()),
        (Some(last.to_string().as_str()), Some(w.worker_id))
    );
    let vid = v["id"].as_i64().unwrap();
    // 00:10 on the 1st of this month in Shanghai is still last month in UTC: it counts for this month.
    let (st, v) = s.post(&w.worker, "/api/care/visits", json!({"register_id": ids[0], "mode": "phone_video", "date": first_of_present, "start": "00:10", "end": "00:20", "place": "电话", "outcome": "无异常"})).await;
    if shanghai(&first_of_present, 0, 20) <= lc_store::now_ms() {
        assert_eq!(
            (st, v["month"].as_str()),
            (StatusCode::CREATED, Some(present().to_string().as_str())),
            "{v}"
        );
    }
    // Refusals.
    let (st, v) = s
        .post(
            &w.worker,
            "/api/care/visits",
            visit(ids[1], &last_day, "10:00", "09:00"),
        )
        .await;
    assert_invalid(st, &v, "end_before_start");
    let (st, v) = s
        .post(
            &w.worker,
            "/api/care/visits",
            visit(ids[1], "2025-06-01", "10:00", "11:00"),
        )
        .await;
    assert_invalid(st, &v, "not_registered");
    let (st, _) = s
        .post(
            &w.worker,
            "/api/care/visits",
            visit(ids[2], "2025-06-01", "10:00", "11:00"),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "another community's person");
    let (st, v) = s
        .post(
            &w.worker,
            "/api/care/visits",
            json!({"register_id": ids[0], "mode": "walk"}),
        )
        .await;
    assert_invalid(st, &v, "invalid_body");
    let (st, v) = s
        .post(
            &w.worker,
            "/api/care/visits",
            visit(999999, &last_day, "10:00", "11:00"),
        )
        .await;
    assert_invalid(st, &v, "unknown_reference");

    // Reads: masked in lists, in full (and logged) one at a time.
    let (_, v) = s
        .get(&w.worker, &format!("/api/care/visits?month={last}"))
        .await;
    assert_eq!(v["total"], json!(1));
    assert_eq!(
        (
            v["items"][0]["outcome"].as_str(),
            v["items"][0]["need_list"][0]["text"].as_str()
        ),
        (Some("***"), Some("***"))
    );
    let (_, v) = s
        .get(&w.regulator, &format!("/api/care/visits/{vid}"))
        .await;
    assert_eq!(v["need_list"][1]["text"], json!("灯泡坏了"));
    let (_, log) = s
        .get(
            &w.admin,
            &format!("/api/access-log?entity=care_visit&entity_id={vid}"),
        )
        .await;
    assert_eq!(log["items"][0]["role"], json!("regulator"));

    // A need becomes a referral in one step, once.
    let refer = format!("/api/care/visits/{vid}/referrals");
    let (st, v) = s
        .post(&w.worker, &refer, json!({"need": 1, "to": "物业维修"}))
        .await;
    assert_eq!(
        (st, v["what"].as_str(), v["status"].as_str()),
        (StatusCode::CREATED, Some("灯泡坏了"), Some("open")),
        "{v}"
    );
    let (st, v) = s
        .post(&w.worker, &refer, json!({"need": 1, "to": "物业维修"}))
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    let (st, v) = s
        .post(&w.worker, &refer, json!({"need": 5, "to": "x"}))
        .await;
    assert_invalid(st, &v, "unknown_need");
    let (st, v) = s.post(&w.worker, &refer, json!({"need": 0})).await;
    assert_invalid(st, &v, "required");
    let (_, v) = s.get(&w.worker, "/api/care/referrals").await;
    assert_eq!(v["total"], json!(1));

    // Last month: persons 0 and 1 due (2 had left), 1 visited; 0 missed.
    let (_, v) = s
        .get(&w.regulator, &format!("/api/care/visits/due?month={last}"))
        .await;
    assert_eq!(
        (
            v["due"].as_u64(),
            v["visited"].as_u64(),
            v["month_over"].as_bool()
        ),
        (Some(2), Some(1), Some(true)),
        "{v}"
    );
    let (_, v) = s
        .get(&w.worker, &format!("/api/care/visits/missed?month={last}"))
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(
        (
            v["items"][0]["register_id"].as_i64(),
            v["items"][0]["resident_name"].as_str()
        ),
        (Some(ids[0]), Some("张*"))
    );
    let (_, v) = s
        .get(
            &w.worker,
            &format!("/api/care/visits/missed?month={}", present()),
        )
        .await;
    assert_eq!(
        (
            v["month_over"].as_bool(),
            v["items"].as_array().unwrap().len()
        ),
        (Some(false), 0),
        "the month runs"
    );

    let (st, v) = s
        .get(&w.regulator, &format!("/api/care/visit-rate?month={last}"))
        .await;
    assert_eq!(st, StatusCode::OK);
    let rows: Vec<(String, String, u64, u64, Option<f64>)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["level"].as_str().unwrap().to_string(),
                r["code"].as_str().unwrap().to_string(),
                r["due"].as_u64().unwrap(),
                r["visited"].as_u64().unwrap(),
                r["rate"].as_f64(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("province".into(), "11".into(), 2, 1, Some(0.5)),
            ("city".into(), "1101".into(), 2, 1, Some(0.5)),
            ("district".into(), "110108".into(), 2, 1, Some(0.5)),
            ("street".into(), "110108010".into(), 2, 1, Some(0.5)),
            ("community".into(), C1.into(), 2, 1, Some(0.5)),
        ],
        "{v}"
    );
    let (st, csv, headers) = s
        .raw(
            &w.worker,
            "GET",
            &format!("/api/care/visit-rate.csv?month={last}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert_eq!(
        csv.lines().next(),
        Some("indicator,month,region_code,level,due,visited,rate")
    );
    assert!(
        csv.contains(&format!("GS21,{last},{C1},community,2,1,0.5")),
        "{csv}"
    );
    // Below Gansu's 100% last month: an early warning for the community's workers (the regulator sees it too).
    let (st, v) = s
        .post(&w.regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get(&w.regulator, "/api/warnings").await;
    let visit: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == json!("visit_rate_below_target"))
        .collect();
    assert_eq!(visit.len(), 1, "{v}");
    assert_eq!(
        (
            &visit[0]["subject_id"],
            &visit[0]["assignee"],
            &visit[0]["detail"]["visited"],
            &visit[0]["detail"]["due"],
            &visit[0]["detail"]["month"]
        ),
        (
            &json!(C1),
            &json!("community"),
            &json!(1),
            &json!(2),
            &json!(last.to_string())
        ),
        "{v}"
    );
    let (st, v) = s.get(&w.regulator, "/api/care/visit-rate?month=nope").await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (st, _) = s.get(&w.staff, "/api/care/visit-rate").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
both!(visits_and_rate);

//! 好差评 (issue 12) over HTTP on a fresh server, on SQLite and on PostgreSQL: a resident rates
//! a completed meal 不满意 and the case runs to its close; one review per service under
//! concurrent requests; deadlines worked out by hand from the working-day calendar (the day
//! before the Spring Festival, a 调休 Saturday, a local holiday); appeals and the minimum count;
//! and a generated month whose published figures are recomputed from the review log.
//!
//! Every scenario sets the server's clock to a fixed day of 2026 (the calendar data covers it),
//! so the dates written here hold whenever the tests run.

mod common;

use std::collections::BTreeMap;

use common::{assert_error, assert_invalid, set_clock, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";
const C1: &str = "110108010031";

struct World {
    admin: Auth,
    staff: Auth,
    other_staff: Auth,
    worker: Auth,
    regulator: Auth,
    resident: Auth,
    resident_id: i64,
    neighbours: Vec<i64>,
    cook: i64,
    offering: i64,
}

/// Moves the server's clock to an instant written in RFC 3339.
/// Providers P (a canteen in 学院路街道) and Q, their staff, a cook of P, a community worker
/// and residents of C1 (the first with an account), a regulator, and the canteen's daily meal
/// (11:00–13:00, one-hour slots, 40 seats).
async fn world(s: &TestServer, neighbours: usize) -> World {
    let admin = s.admin().await;
    for (code, name) in [(P, "甲餐饮公司"), (Q, "乙养老公司")] {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": code, "name": name}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    for (id, owner) in [("CANTEEN", P), ("CANTEEN2", Q)] {
        let (st, v) = s.post(&admin, "/api/facilities", json!({"id": id, "name": format!("{id} 助餐点"), "category": "community_canteen", "lon": 116.348, "lat": 39.998, "provider_code": owner, "division_code": "110108010"})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (_, staff) = s
        .user(
            &admin,
            "staff-p",
            "provider_staff",
            json!({"provider_code": P}),
        )
        .await;
    let (_, other_staff) = s
        .user(
            &admin,
            "staff-q",
            "provider_staff",
            json!({"provider_code": Q}),
        )
        .await;
    let (_, worker) = s
        .user(
            &admin,
            "worker-c1",
            "community_worker",
            json!({"community_id": C1}),
        )
        .await;
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    let (uid, resident) = s.user(&admin, "resident-1", "resident", json!({})).await;
    let (st, v) = s
        .post(
            &admin,
            "/api/residents",
            json!({"community_id": C1, "name": "王秀英", "phone": "13700001234", "user_id": uid}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let resident_id = v["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for i in 0..neighbours {
        let (st, v) = s
            .post(
                &admin,
                "/api/residents",
                json!({"community_id": C1, "name": format!("邻居{i}")}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    let (st, v) = s
        .post(
            &admin,
            "/api/practitioners",
            json!({"provider_code": P, "name": "李师傅", "kind": "other"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let cook = v["id"].as_i64().unwrap();
    let offering = meal_offering(s, &staff, "CANTEEN").await;
    World {
        admin,
        staff,
        other_staff,
        worker,
        regulator,
        resident,
        resident_id,
        neighbours: ids,
        cook,
        offering,
    }
}

async fn meal_offering(s: &TestServer, who: &Auth, facility: &str) -> i64 {
    let week: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!(["11:00-13:00"])))
        .collect();
    let (st, v) = s.post(who, "/api/offerings", json!({"facility_id": facility, "service": "meal", "delivery": "outlet", "price_fen": 1500, "duration_min": 60, "capacity": 40, "plan": {"week": week}})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// Books `start` (RFC 3339) for a resident: the resident themselves when `resident` is `None`,
/// otherwise the community worker on their behalf.
async fn book(s: &TestServer, w: &World, offering: i64, resident: Option<i64>, start: &str) -> i64 {
    let (who, body) = match resident {
        None => (
            &w.resident,
            json!({"offering_id": offering, "start": start}),
        ),
        Some(r) => (
            &w.worker,
            json!({"offering_id": offering, "resident_id": r, "start": start, "consent": {"method": "phone"}}),
        ),
    };
    let key = format!("{offering}-{resident:?}-{start}");
    let r = s
        .request(who, "POST", "/api/bookings")
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// Confirms, starts and completes a booking as `staff` (the clock must be at its slot),
/// recording who served.
async fn serve(s: &TestServer, staff: &Auth, id: i64, practitioner: Option<i64>) {
    for a in ["confirm", "start"] {
        let (st, v) = s
            .post(staff, &format!("/api/bookings/{id}/{a}"), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{a}: {v}");
    }
    let body = match practitioner {
        Some(p) => json!({"practitioner_id": p}),
        None => json!({}),
    };
    let (st, v) = s
        .post(staff, &format!("/api/bookings/{id}/complete"), body)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], json!("completed"));
}

async fn rules(s: &TestServer, w: &World, rules: Value) {
    let (st, v) = s
        .call(&w.admin, "PUT", "/api/review-settings", Some(rules))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

async fn case_action(s: &TestServer, who: &Auth, case: i64, action: Value) -> (StatusCode, Value) {
    s.post(who, &format!("/api/review-cases/{case}/actions"), action)
        .await
}

/// Every entry of the review log.
async fn log(s: &TestServer, who: &Auth) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let (st, v) = s
            .get(
                who,
                &format!("/api/reviews/log?limit=500&offset={}", out.len()),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap().clone();
        if items.is_empty() {
            return out;
        }
        out.extend(items);
    }
}

/// The bar: a resident rates a completed meal 不满意; the outlet is given its deadline (Sichuan,
/// 15 working days), verifies and rectifies; the regulator records the call-back and closes the
/// case; the public rating and the month's statistics show exactly that.
async fn meal_bad_review_end_to_end(s: &TestServer) {
    set_clock(s, "2026-03-01T20:00:00+08:00");
    let w = world(s, 0).await;
    let (st, v) = s
        .call(&w.admin, "PUT", "/api/review-settings", Some(json!({"default_rating": {"after": {"days": 7, "unit": "natural"}, "level": "dissatisfied"}})))
        .await;
    assert_invalid(st, &v, "bad_default");
    rules(s, &w, json!({"jurisdiction": "sichuan", "minimum": 1})).await;
    let id = book(s, &w, w.offering, None, "2026-03-02T11:00:00+08:00").await;
    // Not yet served: it cannot be rated.
    let bad = json!({"booking_id": id, "scores": {"overall": "dissatisfied", "efficiency": "basic", "quality": "dissatisfied", "attitude": "satisfied"}, "text": "饭菜送到时已经凉了"});
    let (st, v) = s.post(&w.resident, "/api/reviews", bad.clone()).await;
    assert_error(st, &v, StatusCode::CONFLICT, "not_completed");
    set_clock(s, "2026-03-02T11:05:00+08:00");
    serve(s, &w.staff, id, Some(w.cook)).await;
    set_clock(s, "2026-03-02T12:30:00+08:00");
    let (st, v) = s.post(&w.resident, "/api/reviews", bad.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let review = v["id"].as_i64().unwrap();
    assert_eq!(
        (&v["level"], &v["level_zh"], &v["class"], &v["stars"]),
        (
            &json!("dissatisfied"),
            &json!("不满意"),
            &json!("bad"),
            &json!(2)
        )
    );
    assert_eq!(v["practitioner_id"], json!(w.cook));
    assert_eq!(v["indicators_version"], json!("gov-2020.1"));
    let case_no = v["case_no"].as_str().unwrap().to_string();
    assert!(case_no.starts_with("HCP20260302"), "{case_no}");
    // Received Monday 03-02; 15 working days (no holiday in March 2026): 03-03 … 03-23.
    let case = &v["case"];
    assert_eq!(
        (
            &case["status"],
            &case["received"],
            &case["deadline"],
            &case["overdue"]
        ),
        (
            &json!("received"),
            &json!("2026-03-02"),
            &json!("2026-03-23"),
            &json!(false)
        ),
        "{v}"
    );
    let case_id = case["id"].as_i64().unwrap();
    // Once per service: a second rating is refused.
    let (st, v) = s.post(&w.resident, "/api/reviews", bad).await;
    assert_error(st, &v, StatusCode::CONFLICT, "already_reviewed");
    // The outlet is told, with its deadline.
    let (_, ob) = s.get(&w.admin, "/api/outbox?limit=200").await;
    let told = ob["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == json!("review_case_opened"))
        .unwrap_or_else(|| panic!("{ob}"));
    assert_eq!(told["recipient"], json!(P));
    assert_eq!(told["payload"]["deadline"], json!("2026-03-23"));
    // The provider sees its case and the review, never who rated.
    let (st, v) = s
        .get(&w.staff, &format!("/api/review-cases/{case_id}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    for hidden in [
        "resident_id",
        "subject_id",
        "submitted_by",
        "community_id",
        "served_on",
        "rated_at",
    ] {
        assert!(v["review"].get(hidden).is_none(), "{hidden} shown: {v}");
    }
    assert_eq!(v["review"]["text"], json!("饭菜送到时已经凉了"));
    let (st, v) = s
        .get(&w.other_staff, &format!("/api/review-cases/{case_id}"))
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s.get(&w.regulator, &format!("/api/reviews/{review}")).await;
    assert_eq!(
        (st, &v["resident_id"]),
        (StatusCode::OK, &json!(w.resident_id))
    );
    // Verify, rectify; the fix is reported on Friday 03-06, before the deadline.
    for a in [json!({"action": "verify"}), json!({"action": "rectify"})] {
        let (st, v) = case_action(s, &w.staff, case_id, a).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    // A verified 差评 is a substantiated complaint: a fact of the provider's class.
    let (st, v) = s
        .post(&w.regulator, "/api/credit/classes/recompute", json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get(&w.regulator, "/api/credit/classes").await;
    let mine = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject_uscc"] == json!(P))
        .unwrap();
    let complaints = mine["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["factor"] == json!("complaints_12m"))
        .unwrap();
    assert_eq!(complaints["value"], json!(1), "{mine}");
    set_clock(s, "2026-03-06T15:00:00+08:00");
    let (st, v) = case_action(
        s,
        &w.staff,
        case_id,
        json!({"action": "report_rectified", "text": "送餐改用保温箱，出餐后 15 分钟内送达"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["status"], &v["rectified_on_time"]),
        (&json!("rectified"), &json!(1))
    );
    // The call-back is the regulator's: the provider does not know whom to call.
    let call = json!({"action": "call_back", "accepted": true, "note": "居民确认饭菜已热"});
    let (st, v) = case_action(s, &w.staff, case_id, call.clone()).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = case_action(s, &w.regulator, case_id, call).await;
    assert_eq!(
        (st, &v["callback_accepted"]),
        (StatusCode::OK, &json!(1)),
        "{v}"
    );
    let (st, v) = case_action(s, &w.regulator, case_id, json!({"action": "close"})).await;
    assert_eq!(
        (st, &v["status"]),
        (StatusCode::OK, &json!("closed")),
        "{v}"
    );
    let (st, v) = case_action(s, &w.regulator, case_id, json!({"action": "close"})).await;
    assert_error(st, &v, StatusCode::CONFLICT, "invalid_transition");
    let (_, detail) = s
        .get(&w.regulator, &format!("/api/review-cases/{case_id}"))
        .await;
    let events = v_events(&detail);
    assert_eq!(
        events,
        [
            "case_opened",
            "verified",
            "rectification_ordered",
            "rectified",
            "called_back",
            "closed"
        ]
    );

    // The public rating, without signing in: one 不满意 review, no good ones.
    let (st, v) = s
        .get(
            &Auth::Anonymous,
            "/api/ratings?by=outlet&area=110108&service=meal",
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let canteen = &v["items"][0];
    assert_eq!(canteen["subject"], json!("CANTEEN"), "{v}");
    let r = &canteen["rating"];
    assert_eq!(
        (
            &r["status"],
            &r["count"],
            &r["bad"],
            &r["good_rate_bp"],
            &r["levels"]
        ),
        (
            &json!("published"),
            &json!(1),
            &json!(1),
            &json!(0),
            &json!([0, 0, 0, 1, 0])
        ),
        "{v}"
    );
    let (_, v) = s
        .get(&Auth::Anonymous, "/api/ratings?by=practitioner")
        .await;
    assert_eq!(v["items"][0]["subject"], json!(w.cook.to_string()), "{v}");
    assert_eq!(v["items"][0]["name"], json!("李**"), "{v}");
    let (_, v) = s
        .get(&Auth::Anonymous, "/api/ratings?by=outlet&area=3201")
        .await;
    assert_eq!(v["items"], json!([]), "another area has none: {v}");
    // The month's statistics: one review, one case rectified on time, called back.
    let (st, v) = s
        .get(
            &w.regulator,
            "/api/review-stats/monthly?month=2026-03&by=outlet",
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let row = &v["rows"][0];
    let got: Vec<&Value> = [
        "key",
        "reviews",
        "bad",
        "good_rate_bp",
        "cases",
        "rectification_due",
        "rectified_on_time",
        "on_time_rate_bp",
        "overdue",
        "callback_due",
        "called_back",
        "callback_rate_bp",
        "appeals",
        "rank",
    ]
    .iter()
    .map(|k| &row[*k])
    .collect();
    assert_eq!(
        got,
        [
            &json!("CANTEEN"),
            &json!(1),
            &json!(1),
            &json!(0),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(10000),
            &json!(0),
            &json!(1),
            &json!(1),
            &json!(10000),
            &json!(0),
            &json!(1)
        ],
        "{v}"
    );
    let (_, v) = s
        .get(
            &w.regulator,
            "/api/review-stats/monthly?month=2026-03&by=region",
        )
        .await;
    assert_eq!(
        (&v["rows"][0]["key"], &v["rows"][0]["name"]),
        (&json!("110108010"), &json!("学院路街道")),
        "{v}"
    );
    // The exchange file, keyed by case number, without who rated.
    let (st, v) = s
        .get(&w.regulator, "/api/review-exchange?month=2026-03")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let rec = &v["records"][0];
    assert_eq!(
        (
            &rec["case_no"],
            &rec["case_status"],
            &rec["deadline"],
            &rec["rectified_on_time"]
        ),
        (
            &json!(case_no),
            &json!("closed"),
            &json!("2026-03-23"),
            &json!(true)
        ),
        "{v}"
    );
    assert!(rec.get("resident_id").is_none() && rec.get("community_id").is_none());
    assert_eq!(rec["rated_at"], json!("2026-03-02T12:30:00+08:00"), "{rec}");
    assert_eq!(rec["scores"]["attitude"], json!("satisfied"), "{rec}");
    let (st, text, headers) = s
        .raw(
            &w.regulator,
            "GET",
            "/api/review-exchange?month=2026-03&format=csv",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap(),
        lc_server::domains::reviews::stats::EXCHANGE_COLUMNS.join(",")
    );
    assert!(lines.next().unwrap().starts_with(&case_no));
    // The log is append-only: the database itself refuses to change or delete an entry.
    let pool = s.state().store.pool();
    let upd = lc_store::sqlx::query("UPDATE review_events SET event = 'x'")
        .execute(pool)
        .await;
    assert!(upd.is_err(), "an update of the log went through");
    let del = lc_store::sqlx::query("DELETE FROM review_events")
        .execute(pool)
        .await;
    assert!(del.is_err(), "a delete from the log went through");
}
both!(meal_bad_review_end_to_end);

fn v_events(v: &Value) -> Vec<&str> {
    v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

/// One review per service: concurrent reviews of one booking store one; an uncompleted
/// booking, someone else's booking, a proxy without consent and the visitor rating their own
/// visit are refused; a care visit is rated by its resident.
async fn one_review_per_service(s: &TestServer) {
    set_clock(s, "2026-03-01T20:00:00+08:00");
    let w = world(s, 2).await;
    let mine = book(s, &w, w.offering, None, "2026-03-02T11:00:00+08:00").await;
    let theirs = book(
        s,
        &w,
        w.offering,
        Some(w.neighbours[0]),
        "2026-03-02T11:00:00+08:00",
    )
    .await;
    let later = book(
        s,
        &w,
        w.offering,
        Some(w.neighbours[1]),
        "2026-03-03T11:00:00+08:00",
    )
    .await;
    let unrated = book(
        s,
        &w,
        w.offering,
        Some(w.neighbours[1]),
        "2026-03-02T12:00:00+08:00",
    )
    .await;
    set_clock(s, "2026-03-02T11:05:00+08:00");
    serve(s, &w.staff, mine, None).await;
    // Who served is recorded when the service starts or completes, and must be the provider's.
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/bookings/{theirs}/confirm"),
            json!({"practitioner_id": w.cook}),
        )
        .await;
    assert_invalid(st, &v, "not_applicable");
    let (_, q_cook) = s
        .post(
            &w.admin,
            "/api/practitioners",
            json!({"provider_code": Q, "name": "周阿姨", "kind": "other"}),
        )
        .await;
    for a in ["confirm", "start"] {
        let (st, v) = s
            .post(&w.staff, &format!("/api/bookings/{theirs}/{a}"), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/bookings/{theirs}/complete"),
            json!({"practitioner_id": q_cook["id"]}),
        )
        .await;
    assert_invalid(st, &v, "other_provider");
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/bookings/{theirs}/complete"),
            json!({"practitioner_id": w.cook}),
        )
        .await;
    assert_eq!(
        (st, &v["practitioner_id"]),
        (StatusCode::OK, &json!(w.cook)),
        "{v}"
    );
    let (st, v) = s
        .post(
            &w.worker,
            "/api/reviews",
            json!({"booking_id": later, "level": "satisfied", "consent": {"method": "phone"}}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "not_completed");
    // Someone else's booking: refused before its status is told.
    let (st, v) = s
        .post(
            &w.resident,
            "/api/reviews",
            json!({"booking_id": later, "level": "satisfied"}),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    // The resident cannot rate a neighbour's meal.
    let (st, v) = s
        .post(
            &w.resident,
            "/api/reviews",
            json!({"booking_id": theirs, "level": "satisfied"}),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    // A proxy must record the consent.
    let (st, v) = s
        .post(
            &w.worker,
            "/api/reviews",
            json!({"booking_id": theirs, "level": "satisfied"}),
        )
        .await;
    assert_invalid(st, &v, "consent_required");
    // Bad levels and indicators are named.
    let (st, v) = s
        .post(
            &w.resident,
            "/api/reviews",
            json!({"booking_id": mine, "level": "great"}),
        )
        .await;
    assert_invalid(st, &v, "invalid_level");
    let (st, v) = s
        .post(
            &w.resident,
            "/api/reviews",
            json!({"booking_id": mine, "scores": {"overall": "satisfied", "taste": "basic"}}),
        )
        .await;
    assert_invalid(st, &v, "unknown_indicator");
    // Eight concurrent reviews of one meal (the resident and the worker, four each): one stored.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (who, body) = if i % 2 == 0 {
            (
                w.resident.clone(),
                json!({"booking_id": mine, "level": "very_satisfied"}),
            )
        } else {
            (
                w.worker.clone(),
                json!({"booking_id": mine, "level": "basic", "consent": {"method": "in_person"}}),
            )
        };
        let req = s.request(&who, "POST", "/api/reviews").json(&body);
        tasks.push(tokio::spawn(async move {
            let r = req.send().await.unwrap();
            let st = r.status();
            (st, r.json::<Value>().await.unwrap())
        }));
    }
    let mut created = 0;
    for t in tasks {
        let (st, v) = t.await.unwrap();
        if st == StatusCode::CREATED {
            created += 1;
        } else {
            assert_error(st, &v, StatusCode::CONFLICT, "already_reviewed");
        }
    }
    assert_eq!(created, 1);
    let n: i64 = lc_store::sqlx::query_scalar(
        "SELECT COUNT(*) FROM reviews WHERE subject_kind = 'booking' AND subject_id = $1",
    )
    .bind(mine)
    .fetch_one(s.state().store.pool())
    .await
    .unwrap();
    assert_eq!(n, 1);
    let (_, v) = s.get(&w.regulator, "/api/reviews?limit=50").await;
    assert_eq!(v["total"], json!(1), "{v}");
    // A proxy's review records the consent; the resident sees it among theirs.
    let (st, v) = s
        .post(&w.worker, "/api/reviews", json!({"booking_id": theirs, "level": "satisfied", "consent": {"method": "phone", "note": "电话中口述"}}))
        .await;
    assert_eq!(
        (st, &v["proxy"], &v["consent_method"]),
        (StatusCode::CREATED, &json!(true), &json!("phone")),
        "{v}"
    );
    let (_, v) = s.get(&w.resident, "/api/reviews").await;
    assert_eq!(
        v["total"],
        json!(1),
        "the resident sees only their own: {v}"
    );
    // A care visit, rated by the resident; the visitor may not rate their own visit for them.
    let (st, v) = s.post(&w.worker, "/api/care/register", json!({"resident_id": w.resident_id, "categories": ["living_alone"], "since": "2025-01-01"})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let entry = v["id"].as_i64().unwrap();
    let (st, v) = s.post(&w.worker, "/api/care/visits", json!({"register_id": entry, "mode": "home", "date": "2026-03-02", "start": "09:00", "end": "09:40", "place": "家中", "outcome": "身体尚好", "needs": []})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let visit = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(&w.worker, "/api/reviews", json!({"visit_id": visit, "level": "very_satisfied", "consent": {"method": "in_person"}}))
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .post(
            &w.resident,
            "/api/reviews",
            json!({"visit_id": visit, "level": "very_satisfied", "text": "很贴心"}),
        )
        .await;
    assert_eq!(
        (st, &v["service"], &v["subject_kind"]),
        (StatusCode::CREATED, &json!("care_visit"), &json!("visit")),
        "{v}"
    );
    // Both or neither record: refused.
    let (st, v) = s
        .post(
            &w.resident,
            "/api/reviews",
            json!({"visit_id": visit, "booking_id": mine, "level": "basic"}),
        )
        .await;
    assert_invalid(st, &v, "one_record");
    // A 差评 of a visit has no provider: the regulator handles it to its close; outlets never
    // see it.
    let (st, v) = s.post(&w.worker, "/api/care/visits", json!({"register_id": entry, "mode": "phone_video", "date": "2026-03-02", "start": "10:00", "end": "10:10", "place": "电话", "outcome": "未接通后回拨", "needs": []})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .post(
            &w.resident,
            "/api/reviews",
            json!({"visit_id": v["id"], "level": "dissatisfied", "text": "只打了一次电话"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let case = v["case"]["id"].as_i64().unwrap();
    let (st, _) = s.get(&w.staff, &format!("/api/review-cases/{case}")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for a in [
        json!({"action": "verify"}),
        json!({"action": "rectify"}),
        json!({"action": "report_rectified", "text": "改为每周上门一次"}),
        json!({"action": "call_back", "accepted": true, "note": "居民认可"}),
        json!({"action": "close"}),
    ] {
        let (st, v) = case_action(s, &w.regulator, case, a).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    // A default rating covers only services delivered after the rule took effect: the meal
    // served and left unrated before Guangdong's rule was turned on is never rated by default.
    set_clock(s, "2026-03-02T12:05:00+08:00");
    serve(s, &w.staff, unrated, None).await;
    set_clock(s, "2026-03-02T13:30:00+08:00");
    rules(s, &w, json!({"jurisdiction": "guangdong"})).await;
    // A care visit after the rule, left unrated: it gets the default (基本满意) once 7 natural
    // days have passed; the meal before the rule does not.
    set_clock(s, "2026-03-04T12:00:00+08:00");
    let (st, v) = s.post(&w.worker, "/api/care/visits", json!({"register_id": entry, "mode": "home", "date": "2026-03-04", "start": "09:00", "end": "09:30", "place": "家中", "outcome": "良好", "needs": []})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let late_visit = v["id"].as_i64().unwrap();
    set_clock(s, "2026-03-11T09:00:00+08:00");
    let (_, v) = s
        .post(&w.regulator, "/api/reviews/default-ratings", json!({}))
        .await;
    assert_eq!(
        v["created"],
        json!(0),
        "served 03-04: rateable up to 03-11: {v}"
    );
    set_clock(s, "2026-03-12T09:00:00+08:00");
    let (st, v) = s
        .post(&w.regulator, "/api/reviews/default-ratings", json!({}))
        .await;
    assert_eq!(
        (st, &v["created"], &v["rule_on"]),
        (StatusCode::OK, &json!(1), &json!(true)),
        "{v}"
    );
    let (_, v) = s.get(&w.regulator, "/api/reviews?limit=50").await;
    let default: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["is_default"] == json!(true))
        .collect();
    assert_eq!(default.len(), 1, "{v}");
    assert_eq!(
        (&default[0]["subject_id"], &default[0]["level"]),
        (&json!(late_visit), &json!("basic"))
    );
}
both!(one_review_per_service);

/// Deadlines worked out by hand from the calendar data (Dezhou: 5 working days). The 2026
/// notice: Spring Festival off 02-15 to 02-23; 调休 working Saturdays 02-14 and 02-28.
async fn deadlines_on_the_calendar(s: &TestServer) {
    set_clock(s, "2026-02-12T08:00:00+08:00");
    let w = world(s, 2).await;
    rules(s, &w, json!({"jurisdiction": "dezhou"})).await;
    let fri = book(s, &w, w.offering, None, "2026-02-13T11:00:00+08:00").await;
    let fri2 = book(
        s,
        &w,
        w.offering,
        Some(w.neighbours[0]),
        "2026-02-13T12:00:00+08:00",
    )
    .await;
    let sat = book(
        s,
        &w,
        w.offering,
        Some(w.neighbours[1]),
        "2026-02-14T11:00:00+08:00",
    )
    .await;
    set_clock(s, "2026-02-13T11:05:00+08:00");
    serve(s, &w.staff, fri, None).await;
    set_clock(s, "2026-02-13T12:05:00+08:00");
    serve(s, &w.staff, fri2, None).await;
    let bad = |b: i64| json!({"booking_id": b, "level": "very_dissatisfied", "consent": {"method": "phone"}});
    // Received Friday 02-13, the last weekday before the holiday: 1 Sat 02-14 (调休), then
    // 2 Tue 02-24, 3 Wed 02-25, 4 Thu 02-26, 5 Fri 02-27.
    set_clock(s, "2026-02-13T16:30:00+08:00");
    let (st, v) = s
        .post(
            &w.resident,
            "/api/reviews",
            json!({"booking_id": fri, "level": "dissatisfied"}),
        )
        .await;
    assert_eq!(
        (st, &v["case"]["deadline"]),
        (StatusCode::CREATED, &json!("2026-02-27")),
        "{v}"
    );
    let first = v["case"]["id"].as_i64().unwrap();
    // Received on the 调休 Saturday 02-14: 1 Tue 02-24 … 4 Fri 02-27, 5 Sat 02-28 (调休).
    set_clock(s, "2026-02-14T11:05:00+08:00");
    serve(s, &w.staff, sat, None).await;
    set_clock(s, "2026-02-14T16:30:00+08:00");
    let (st, v) = s.post(&w.worker, "/api/reviews", bad(sat)).await;
    assert_eq!(
        (st, &v["case"]["deadline"]),
        (StatusCode::CREATED, &json!("2026-02-28")),
        "{v}"
    );
    // A local holiday on Friday 02-27 (set in the platform's calendar) moves the fifth working
    // day of a case received on 02-13 to Saturday 02-28.
    let (st, v) = s
        .call(
            &w.admin,
            "PUT",
            "/api/calendar/2026-02-27",
            Some(json!({"kind": "holiday", "name": "本地节日"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    set_clock(s, "2026-02-13T17:00:00+08:00");
    let (st, v) = s.post(&w.worker, "/api/reviews", bad(fri2)).await;
    assert_eq!(
        (st, &v["case"]["deadline"]),
        (StatusCode::CREATED, &json!("2026-02-28")),
        "{v}"
    );
    // Monday 03-02: every case is past its deadline without a fix.
    set_clock(s, "2026-03-02T09:00:00+08:00");
    let (st, v) = s.get(&w.staff, "/api/review-cases?overdue=true").await;
    assert_eq!((st, &v["total"]), (StatusCode::OK, &json!(3)), "{v}");
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["overdue"] == json!(true)));
    // A regulator extends one case (only forward); the provider's late fix is recorded late.
    let (st, v) = case_action(
        s,
        &w.regulator,
        first,
        json!({"action": "extend_deadline", "to": "2026-02-20", "reason": "x"}),
    )
    .await;
    assert_error(st, &v, StatusCode::CONFLICT, "deadline_backwards");
    let (st, v) = case_action(
        s,
        &w.regulator,
        first,
        json!({"action": "extend_deadline", "to": "2026-03-06", "reason": "需更换设备"}),
    )
    .await;
    assert_eq!(
        (st, &v["deadline"], &v["overdue"]),
        (StatusCode::OK, &json!("2026-03-06"), &json!(false)),
        "{v}"
    );
    let second = v["id"].as_i64().unwrap() + 1;
    for a in [
        json!({"action": "verify"}),
        json!({"action": "rectify"}),
        json!({"action": "report_rectified", "text": "已整改"}),
    ] {
        let (st, v) = case_action(s, &w.staff, second, a).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (_, v) = s
        .get(&w.staff, &format!("/api/review-cases/{second}"))
        .await;
    assert_eq!(v["rectified_on_time"], json!(0), "{v}");
    let (_, v) = s
        .get(&w.regulator, "/api/review-stats/monthly?month=2026-02")
        .await;
    let row = &v["rows"][0];
    assert_eq!(
        (
            &row["cases"],
            &row["rectification_due"],
            &row["rectified_on_time"],
            &row["overdue"]
        ),
        (&json!(3), &json!(2), &json!(0), &json!(1)),
        "{v}"
    );
    let (_, v) = s.get(&w.staff, "/api/review-cases?overdue=true").await;
    assert_eq!(v["total"], json!(1), "{v}");
}
both!(deadlines_on_the_calendar);

/// An appeal upheld keeps the review in the record and out of every statistic; below the
/// minimum count nothing is public.
async fn appeals_and_the_minimum(s: &TestServer) {
    set_clock(s, "2026-03-01T20:00:00+08:00");
    let w = world(s, 11).await;
    rules(s, &w, json!({"jurisdiction": "sichuan"})).await;
    let mut ids = Vec::new();
    for &r in &w.neighbours {
        ids.push(book(s, &w, w.offering, Some(r), "2026-03-02T11:00:00+08:00").await);
    }
    set_clock(s, "2026-03-02T11:05:00+08:00");
    for (i, &b) in ids.iter().enumerate() {
        serve(s, &w.staff, b, (i == 0).then_some(w.cook)).await;
    }
    let rate = |b: i64, level: &str| json!({"booking_id": b, "level": level, "consent": {"method": "phone"}});
    let canteen = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["subject"] == json!("CANTEEN"))
            .unwrap()["rating"]
            .clone()
    };
    // Nine good reviews: below the minimum of 10, nothing is shown, not even the count.
    for &b in &ids[1..10] {
        let (st, v) = s
            .post(&w.worker, "/api/reviews", rate(b, "satisfied"))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (_, v) = s.get(&Auth::Anonymous, "/api/ratings").await;
    assert_eq!(
        canteen(&v),
        json!({"status": "withheld", "minimum": 10}),
        "{v}"
    );
    // A malicious 非常不满意 (the eleventh review) and one more good one.
    let (st, v) = s
        .post(&w.worker, "/api/reviews", rate(ids[0], "very_dissatisfied"))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let review = v["id"].as_i64().unwrap();
    let case = v["case"]["id"].as_i64().unwrap();
    let (st, _) = s
        .post(&w.worker, "/api/reviews", rate(ids[10], "very_satisfied"))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, v) = s.get(&Auth::Anonymous, "/api/ratings").await;
    let r = canteen(&v);
    // 10 good of 11: 9091 basis points.
    assert_eq!(
        (&r["count"], &r["good"], &r["bad"], &r["good_rate_bp"]),
        (&json!(11), &json!(10), &json!(1), &json!(9091)),
        "{v}"
    );
    // The practitioner (one review) stays below the minimum.
    let (_, v) = s
        .get(&Auth::Anonymous, "/api/ratings?by=practitioner")
        .await;
    assert_eq!(
        v["items"][0]["rating"],
        json!({"status": "withheld", "minimum": 10}),
        "{v}"
    );
    // The provider appeals; a reason is required; the regulator upholds it.
    let (st, _) = case_action(s, &w.staff, case, json!({"action": "verify"})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = case_action(
        s,
        &w.staff,
        case,
        json!({"action": "appeal", "ground": "malicious", "reason": " "}),
    )
    .await;
    assert_invalid(st, &v, "reason_required");
    let (st, v) = case_action(s, &w.staff, case, json!({"action": "appeal", "ground": "malicious", "reason": "当日未到店就餐，有签到记录为证"})).await;
    assert_eq!(
        (st, &v["status"]),
        (StatusCode::OK, &json!("appealed")),
        "{v}"
    );
    let (st, v) = case_action(
        s,
        &w.staff,
        case,
        json!({"action": "decide_appeal", "uphold": true, "reason": "自己裁决"}),
    )
    .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = case_action(
        s,
        &w.regulator,
        case,
        json!({"action": "decide_appeal", "uphold": true, "reason": "签到记录证实未到店"}),
    )
    .await;
    assert_eq!(
        (st, &v["status"], &v["excluded"]),
        (StatusCode::OK, &json!("closed"), &json!(1)),
        "{v}"
    );
    // The record stays, marked; the statistics change.
    let (st, v) = s.get(&w.regulator, &format!("/api/reviews/{review}")).await;
    assert_eq!(
        (st, &v["excluded"], &v["level"]),
        (StatusCode::OK, &json!(true), &json!("very_dissatisfied")),
        "{v}"
    );
    assert!(
        v["excluded_note"].as_str().unwrap().contains("不计入"),
        "{v}"
    );
    let (_, v) = s.get(&Auth::Anonymous, "/api/ratings").await;
    let r = canteen(&v);
    assert_eq!(
        (&r["count"], &r["bad"], &r["good_rate_bp"]),
        (&json!(10), &json!(0), &json!(10000)),
        "{v}"
    );
    let (_, v) = s
        .get(&w.regulator, "/api/review-stats/monthly?month=2026-03")
        .await;
    let row = &v["rows"][0];
    assert_eq!(
        (
            &row["reviews"],
            &row["excluded"],
            &row["appeals"],
            &row["appeals_upheld"],
            &row["callback_due"]
        ),
        (&json!(10), &json!(1), &json!(1), &json!(1), &json!(0)),
        "{v}"
    );
    let (_, v) = s
        .get(&w.regulator, "/api/review-exchange?month=2026-03")
        .await;
    let excluded: Vec<&Value> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["excluded"] == json!(true))
        .collect();
    assert_eq!(excluded.len(), 1, "{v}");
}
both!(appeals_and_the_minimum);

/// A generated month: two outlets, three practitioners, random levels, default ratings after
/// Guangdong's 7 days, appeals decided both ways; every published figure (ratings by outlet,
/// provider, practitioner and service; the monthly statistics) equals a recomputation from
/// the review log alone.
async fn published_figures_recompute_from_the_log(s: &TestServer) {
    set_clock(s, "2026-03-01T20:00:00+08:00");
    let w = world(s, 36).await;
    rules(s, &w, json!({"jurisdiction": "guangdong", "rectify": {"days": 7, "unit": "natural"}, "minimum": 3})).await;
    let second = meal_offering(s, &w.other_staff, "CANTEEN2").await;
    let (_, v) = s
        .post(
            &w.admin,
            "/api/practitioners",
            json!({"provider_code": Q, "name": "周阿姨", "kind": "other"}),
        )
        .await;
    let q_cook = v["id"].as_i64().unwrap();
    // A small LCG: the same month every run.
    let mut seed: u64 = 20260301;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut plan = Vec::new();
    for (i, &r) in w.neighbours.iter().enumerate() {
        let day = 2 + (i % 3) as i64;
        let (offering, staff, cook) = if next(2) == 0 {
            (
                w.offering,
                &w.staff,
                if next(2) == 0 { Some(w.cook) } else { None },
            )
        } else {
            (second, &w.other_staff, Some(q_cook))
        };
        let start = format!("2026-03-0{day}T11:00:00+08:00");
        let b = book(s, &w, offering, Some(r), &start).await;
        plan.push((b, day, staff.clone(), cook));
    }
    for day in 2..5 {
        set_clock(s, &format!("2026-03-0{day}T11:05:00+08:00"));
        for (b, d, staff, cook) in &plan {
            if *d == day {
                serve(s, staff, *b, *cook).await;
            }
        }
    }
    // Most are rated; the rest get Guangdong's default (基本满意) after 7 natural days.
    set_clock(s, "2026-03-05T09:00:00+08:00");
    let levels = [
        "very_satisfied",
        "satisfied",
        "basic",
        "dissatisfied",
        "very_dissatisfied",
    ];
    let mut cases = Vec::new();
    for (b, _, _, _) in &plan {
        if next(5) == 0 {
            continue;
        }
        let level = levels[next(5) as usize];
        let (st, v) = s
            .post(
                &w.worker,
                "/api/reviews",
                json!({"booking_id": b, "level": level, "consent": {"method": "phone"}}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        if let Some(c) = v["case"]["id"].as_i64() {
            cases.push((c, v["provider_code"].as_str().unwrap().to_string()));
        }
    }
    assert!(cases.len() >= 3, "the generated month has too few 差评");
    let (st, v) = s
        .post(&w.regulator, "/api/reviews/default-ratings", json!({}))
        .await;
    assert_eq!(
        (st, &v["created"]),
        (StatusCode::OK, &json!(0)),
        "too early: {v}"
    );
    set_clock(s, "2026-03-12T09:00:00+08:00");
    let (st, v) = s
        .post(&w.regulator, "/api/reviews/default-ratings", json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let defaults = v["created"].as_u64().unwrap();
    assert!(defaults > 0, "{v}");
    let (_, again) = s
        .post(&w.regulator, "/api/reviews/default-ratings", json!({}))
        .await;
    assert_eq!(
        again["created"],
        json!(0),
        "the sweep is idempotent: {again}"
    );
    // Cases handled in different ways: appeal upheld, appeal rejected, rectified, explained.
    for (i, (c, provider)) in cases.iter().enumerate() {
        let staff = if provider == P {
            &w.staff
        } else {
            &w.other_staff
        };
        let (st, v) = case_action(s, staff, *c, json!({"action": "verify"})).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let steps: Vec<(&Auth, Value)> = match i % 4 {
            0 => vec![
                (
                    staff,
                    json!({"action": "appeal", "ground": "mistaken", "reason": "评错了服务"}),
                ),
                (
                    &w.regulator,
                    json!({"action": "decide_appeal", "uphold": true, "reason": "核实为误评"}),
                ),
            ],
            1 => vec![
                (
                    staff,
                    json!({"action": "appeal", "ground": "malicious", "reason": "恶意"}),
                ),
                (
                    &w.regulator,
                    json!({"action": "decide_appeal", "uphold": false, "reason": "证据不足"}),
                ),
                (staff, json!({"action": "explain", "text": "按规定执行"})),
                (
                    &w.regulator,
                    json!({"action": "call_back", "accepted": false, "note": "居民仍不满意"}),
                ),
            ],
            2 => vec![
                (staff, json!({"action": "rectify"})),
                (staff, json!({"action": "report_rectified", "text": "已改"})),
                (
                    &w.regulator,
                    json!({"action": "call_back", "accepted": true, "note": "满意"}),
                ),
                (&w.regulator, json!({"action": "close"})),
            ],
            _ => vec![(staff, json!({"action": "rectify"}))],
        };
        for (who, a) in steps {
            let (st, v) = case_action(s, who, *c, a.clone()).await;
            assert_eq!(st, StatusCode::OK, "{a}: {v}");
        }
    }

    // Recompute from the log alone, by hand (not with the server's functions): the first
    // rating of each review, minus the excluded; cells of one service of one outlet; a cell
    // counts in public from the minimum; outlets, providers and services sum their published
    // cells; practitioners count their reviews in published cells, public from the minimum.
    let entries = log(s, &w.regulator).await;
    let minimum = 3u64;
    let mut first: BTreeMap<u64, Value> = BTreeMap::new();
    let mut gone: Vec<u64> = Vec::new();
    for e in &entries {
        let review = e["review_id"].as_u64().unwrap();
        match e["event"].as_str().unwrap() {
            "rated" | "default_rated" => {
                first.entry(review).or_insert_with(|| e["detail"].clone());
            }
            "excluded" => gone.push(review),
            _ => {}
        }
    }
    let counted: Vec<&Value> = first
        .iter()
        .filter(|(r, _)| !gone.contains(r))
        .map(|(_, d)| d)
        .collect();
    let index =
        |d: &Value| -> usize { levels.iter().position(|l| d["level"] == json!(l)).unwrap() };
    let cell = |d: &Value| format!("{}|{}", d["facility_id"], d["service"]);
    let mut cells: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    for d in &counted {
        cells.entry(cell(d)).or_default()[index(d)] += 1;
    }
    let open = |d: &Value| cells[&cell(d)].iter().sum::<u64>() >= minimum;
    let figures = |l: &[u64; 5]| -> Value {
        let count: u64 = l.iter().sum();
        if count < minimum {
            return json!({"status": "withheld", "minimum": minimum});
        }
        let good = l[0] + l[1];
        json!({"status": "published", "count": count, "good": good, "neutral": l[2],
            "bad": l[3] + l[4], "levels": l, "good_rate_bp": (good * 20000 + count) / (2 * count)})
    };
    for by in ["outlet", "provider", "practitioner", "service"] {
        let field = match by {
            "outlet" => "facility_id",
            "provider" => "provider_code",
            "practitioner" => "practitioner_id",
            _ => "service",
        };
        let key = |d: &Value| match &d[field] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let mut expected: BTreeMap<String, Value> = BTreeMap::new();
        let mut sums: BTreeMap<String, [u64; 5]> = BTreeMap::new();
        for d in &counted {
            let Some(k) = key(d) else { continue };
            let entry = sums.entry(k).or_default();
            if open(d) {
                entry[index(d)] += 1;
            }
        }
        for (k, l) in &sums {
            expected.insert(k.clone(), figures(l));
        }
        let (st, v) = s
            .get(&Auth::Anonymous, &format!("/api/ratings?by={by}"))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let published: BTreeMap<String, Value> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["subject"].as_str().unwrap().to_string(),
                    x["rating"].clone(),
                )
            })
            .collect();
        assert_eq!(published, expected, "by {by}");
        assert!(
            expected.values().any(|x| x["status"] == json!("published")),
            "by {by}: {v}"
        );
    }
    // The monthly statistics per outlet, from the log: reviews counted, 差评, defaults,
    // exclusions, cases, appeals, call-backs.
    let mut expect: BTreeMap<String, [u64; 9]> = BTreeMap::new();
    let mut outlet_of: BTreeMap<u64, String> = BTreeMap::new();
    let mut bad_of: BTreeMap<u64, bool> = BTreeMap::new();
    let mut good_of: BTreeMap<u64, bool> = BTreeMap::new();
    let mut default_of: BTreeMap<u64, bool> = BTreeMap::new();
    for e in &entries {
        let review = e["review_id"].as_u64().unwrap();
        let d = &e["detail"];
        match e["event"].as_str().unwrap() {
            "rated" | "default_rated" => {
                let outlet = d["facility_id"].as_str().unwrap().to_string();
                outlet_of.insert(review, outlet.clone());
                bad_of.insert(review, d["class"] == json!("bad"));
                good_of.insert(review, d["class"] == json!("good"));
                default_of.insert(review, d["default"] == json!(true));
                expect.entry(outlet).or_default()[0] += 1;
            }
            ev => {
                let row = expect.get_mut(&outlet_of[&review]).unwrap();
                match ev {
                    "excluded" => row[3] += 1,
                    "case_opened" => row[4] += 1,
                    "appealed" => row[5] += 1,
                    "appeal_upheld" => row[6] += 1,
                    "called_back" => row[7] += 1,
                    _ => {}
                }
            }
        }
    }
    let excluded: Vec<u64> = entries
        .iter()
        .filter(|e| e["event"] == json!("excluded"))
        .map(|e| e["review_id"].as_u64().unwrap())
        .collect();
    for (review, outlet) in &outlet_of {
        if excluded.contains(review) {
            expect.get_mut(outlet).unwrap()[0] -= 1;
            continue;
        }
        let row = expect.get_mut(outlet).unwrap();
        row[1] += u64::from(bad_of[review]);
        row[2] += u64::from(default_of[review]);
        row[8] += u64::from(good_of[review]);
    }
    let (_, v) = s
        .get(&w.regulator, "/api/review-stats/monthly?month=2026-03")
        .await;
    let published: BTreeMap<String, [u64; 9]> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            (
                r["key"].as_str().unwrap().to_string(),
                [
                    n("reviews"),
                    n("bad"),
                    n("default_ratings"),
                    n("excluded"),
                    n("cases"),
                    n("appeals"),
                    n("appeals_upheld"),
                    n("called_back"),
                    n("good"),
                ],
            )
        })
        .collect();
    assert_eq!(published, expect, "{v}");
    for r in v["rows"].as_array().unwrap() {
        let (good, n) = (r["good"].as_u64().unwrap(), r["reviews"].as_u64().unwrap());
        let bp = (n > 0).then(|| (good * 20000 + n) / (2 * n));
        assert_eq!(r["good_rate_bp"].as_u64(), bp, "{r}");
    }
    let total_defaults: u64 = published.values().map(|r| r[2]).sum();
    assert_eq!(total_defaults, defaults);
}
both!(published_figures_recompute_from_the_log);

/// The 约谈 list: with two ranked outlets and the bottom 10% (at least one), the canteen ranked
/// last in February and in March is listed; ranked last in March only, it is not.
async fn low_ranked_two_months_in_a_row(s: &TestServer) {
    set_clock(s, "2026-01-30T20:00:00+08:00");
    let w = world(s, 4).await;
    rules(s, &w, json!({"minimum": 2})).await;
    let second = meal_offering(s, &w.other_staff, "CANTEEN2").await;
    // Each month: the canteen has a good and a bad review (5000 bp), CANTEEN2 two good ones;
    // in January the canteen does better than CANTEEN2.
    let months = [
        (
            "2026-01-31",
            ["very_satisfied", "satisfied"],
            ["basic", "dissatisfied"],
        ),
        (
            "2026-02-02",
            ["satisfied", "dissatisfied"],
            ["satisfied", "very_satisfied"],
        ),
        (
            "2026-03-02",
            ["very_dissatisfied", "satisfied"],
            ["satisfied", "satisfied"],
        ),
        (
            "2026-04-01",
            ["satisfied", "satisfied"],
            ["very_satisfied", "satisfied"],
        ),
    ];
    for (day, canteen, other) in months {
        let start = format!("{day}T11:00:00+08:00");
        set_clock(s, &format!("{day}T08:00:00+08:00"));
        let mut mine = Vec::new();
        for (i, &r) in w.neighbours.iter().enumerate() {
            let offering = if i < 2 { w.offering } else { second };
            mine.push(book(s, &w, offering, Some(r), &start).await);
        }
        set_clock(s, &format!("{day}T11:05:00+08:00"));
        for (i, &b) in mine.iter().enumerate() {
            serve(s, if i < 2 { &w.staff } else { &w.other_staff }, b, None).await;
        }
        for (i, &b) in mine.iter().enumerate() {
            let level = if i < 2 { canteen[i] } else { other[i - 2] };
            let (st, v) = s
                .post(
                    &w.worker,
                    "/api/reviews",
                    json!({"booking_id": b, "level": level, "consent": {"method": "phone"}}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
    }
    let (st, v) = s
        .get(&w.regulator, "/api/review-stats/low-ranked?month=2026-03")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["previous"], json!("2026-02"));
    let listed = v["outlets"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{v}");
    assert_eq!(
        (
            &listed[0]["facility_id"],
            &listed[0]["this_month"],
            &listed[0]["previous_month"]
        ),
        (
            &json!("CANTEEN"),
            &json!([2, 2, 5000]),
            &json!([2, 2, 5000])
        ),
        "{v}"
    );
    let (_, v) = s
        .get(&w.regulator, "/api/review-stats/low-ranked?month=2026-02")
        .await;
    assert_eq!(v["outlets"], json!([]), "January's ranking differs: {v}");
    let (st, v) = s
        .get(
            &w.regulator,
            "/api/review-stats/low-ranked?month=2026-03&bottom_pct=0",
        )
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (st, _) = s
        .get(&w.regulator, "/api/review-stats/low-ranked?month=1900-01")
        .await;
    assert_eq!(st, StatusCode::OK);
    // April: both outlets fully satisfied share rank 1; nobody is low, though the canteen was
    // low in March.
    let (_, v) = s
        .get(&w.regulator, "/api/review-stats/monthly?month=2026-04")
        .await;
    let ranks: Vec<&Value> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["rank"])
        .collect();
    assert_eq!(ranks, [&json!(1), &json!(1)], "{v}");
    let (_, v) = s
        .get(&w.regulator, "/api/review-stats/low-ranked?month=2026-04")
        .await;
    assert_eq!(v["outlets"], json!([]), "{v}");
}
both!(low_ranked_two_months_in_a_row);

/// Early warnings from the reviews (issue 13 item 5): ten meals rated in a day, three of them
/// 差评 — a 差评 rate of 30% over the 10% threshold with the minimum of 10 reviews reached, and
/// three 差评 cases in seven days against none before (a spike) — raise one warning each for the
/// canteen's provider, seen by its staff and not by the other provider's; 31 days later the
/// window holds none, and both resolve by themselves.
async fn bad_reviews_raise_warnings(s: &TestServer) {
    set_clock(s, "2026-11-09T08:00:00+08:00");
    let w = world(s, 10).await;
    let start = "2026-11-09T11:00:00+08:00";
    let mut meals = Vec::new();
    for &r in &w.neighbours {
        meals.push(book(s, &w, w.offering, Some(r), start).await);
    }
    set_clock(s, "2026-11-09T11:05:00+08:00");
    for &b in &meals {
        serve(s, &w.staff, b, None).await;
    }
    for (i, &b) in meals.iter().enumerate() {
        let level = if i < 3 {
            "very_dissatisfied"
        } else {
            "satisfied"
        };
        let (st, v) = s
            .post(
                &w.worker,
                "/api/reviews",
                json!({"booking_id": b, "level": level, "consent": {"method": "phone"}}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = s
        .post(&w.regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get(&w.staff, "/api/warnings").await;
    let mut rules: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rule"].as_str().unwrap())
        .collect();
    rules.sort();
    assert_eq!(rules, ["bad_review_rate", "complaint_spike"], "{v}");
    let rate = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == json!("bad_review_rate"))
        .unwrap();
    assert_eq!(
        (&rate["detail"]["bad"], &rate["detail"]["reviews"]),
        (&json!(3), &json!(10)),
        "{rate}"
    );
    assert!(
        rate["message_zh"].as_str().unwrap().contains("30.0%"),
        "{rate}"
    );
    let (_, v) = s.get(&w.other_staff, "/api/warnings").await;
    assert_eq!(v["total"], json!(0), "{v}");
    // Evaluated again: nothing raised twice.
    let (_, v) = s
        .post(&w.regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(v["raised"], json!(0), "{v}");
    set_clock(s, "2026-12-10T09:00:00+08:00");
    let (_, v) = s
        .post(&w.regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert!(v["cleared"].as_i64().unwrap() >= 2, "{v}");
    let (_, v) = s.get(&w.staff, "/api/warnings?status=resolved").await;
    let mut resolved: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rule"].as_str().unwrap())
        .collect();
    resolved.sort();
    assert_eq!(resolved, ["bad_review_rate", "complaint_spike"], "{v}");
}
both!(bad_reviews_raise_warnings);

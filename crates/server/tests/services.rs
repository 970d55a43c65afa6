//! Services for residents (issue 11): offerings and their slots, bookings through their life,
//! seats enforced by the database under real concurrent requests, `Idempotency-Key`, the
//! holiday calendar, cancellation and no-show rules. Every scenario runs on SQLite and on
//! PostgreSQL.

mod common;

use common::cau_network;

use std::sync::Arc;

use common::{assert_error, assert_invalid, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";
const C1: &str = "110108010031";
const C2: &str = "110108010021";
const HOUR: i64 = 3_600_000;

/// Everyone a scenario needs: a canteen of provider P (and an outlet of Q), staff of each, a
/// community worker of C1, residents of C1 (the first with an account) and one of C2.
struct World {
    admin: Auth,
    staff: Auth,
    other_staff: Auth,
    worker: Auth,
    resident: Auth,
    resident_id: i64,
    neighbours: Vec<i64>,
    far_resident: i64,
    regulator: Auth,
}

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
    for (id, category, owner) in [
        ("CANTEEN", "community_canteen", P),
        ("STATION", "elderly_service_station", Q),
    ] {
        let (st, v) = s.post(&admin, "/api/facilities", json!({"id": id, "name": format!("{id} 助餐点"), "category": category, "lon": 116.348, "lat": 39.998, "provider_code": owner})).await;
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
    let (st, v) = s.post(&admin, "/api/residents", json!({"community_id": C1, "name": "王秀英", "phone": "13700001234", "address": "富润家园 3 号楼 201", "user_id": uid})).await;
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
    let (_, v) = s
        .post(
            &admin,
            "/api/residents",
            json!({"community_id": C2, "name": "远方居民"}),
        )
        .await;
    World {
        admin,
        staff,
        other_staff,
        worker,
        resident,
        resident_id,
        neighbours: ids,
        far_resident: v["id"].as_i64().unwrap(),
        regulator,
    }
}

/// Every day 11:00–13:00, one-hour meals.
fn daily_plan() -> Value {
    let week: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!(["11:00-13:00"])))
        .collect();
    json!({"week": week})
}

async fn meal_offering(s: &TestServer, who: &Auth, capacity: i64) -> i64 {
    let (st, v) = s.post(who, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "meal", "delivery": "outlet", "price_fen": 1500, "subsidy_cap_fen": 500, "duration_min": 60, "capacity": capacity, "plan": daily_plan()})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// The bookable slots of an offering.
async fn bookable(s: &TestServer, offering: i64) -> Vec<Value> {
    let (st, v) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/offerings/{offering}/slots"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .filter(|x| x["bookable"] == json!(true))
        .cloned()
        .collect()
}

/// POST /api/bookings with an idempotency key.
async fn book(s: &TestServer, who: &Auth, key: &str, body: Value) -> (StatusCode, Value) {
    let mut rb = s.request(who, "POST", "/api/bookings").json(&body);
    if !key.is_empty() {
        rb = rb.header("idempotency-key", key);
    }
    let r = rb.send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn act(s: &TestServer, who: &Auth, id: i64, action: &str) -> (StatusCode, Value) {
    s.post(who, &format!("/api/bookings/{id}/{action}"), json!({}))
        .await
}

/// A resident books a meal for tomorrow; the canteen confirms, starts and completes it; the
/// history, the outbox and the scopes follow.
async fn meal_booking_lifecycle(s: &TestServer) {
    let w = world(s, 0).await;
    let offering = meal_offering(s, &w.staff, 2).await;
    // Another provider's staff cannot add offerings to this canteen.
    let (st, v) = s.post(&w.other_staff, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "meal", "delivery": "home", "price_fen": 1, "duration_min": 60, "capacity": 1, "home_area_m": 800.0, "plan": daily_plan()})).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    // A canteen offers no bathing; a meal needs a plan.
    let (st, v) = s.post(&w.staff, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "bathing", "delivery": "outlet", "price_fen": 1, "duration_min": 60, "capacity": 1, "plan": daily_plan()})).await;
    assert_invalid(st, &v, "service_not_offered_by_category");

    let slots = bookable(s, offering).await;
    assert!(
        slots.len() >= 26,
        "two a day for about 14 days: {}",
        slots.len()
    );
    // Tomorrow's first slot: the first bookable one that starts 11:00 more than a day ahead.
    let now = s.state().clock.now_ms();
    let tomorrow = slots
        .iter()
        .find(|x| {
            x["start_ms"].as_i64().unwrap() > now + 12 * HOUR
                && x["start"].as_str().unwrap().contains("T11:00:00+08:00")
        })
        .unwrap()
        .clone();
    assert_eq!(
        (tomorrow["capacity"].as_i64(), tomorrow["free"].as_i64()),
        (Some(2), Some(2))
    );
    let body = json!({"offering_id": offering, "start": tomorrow["start"], "note": "少盐"});

    // The key is required; the same key and body answer the same booking; another body is refused.
    let (st, v) = book(s, &w.resident, "", body.clone()).await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "idempotency_key_required");
    let (st, b) = book(s, &w.resident, "meal-1", body.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(
        (
            b["status"].as_str(),
            b["channel"].as_str(),
            b["price_fen"].as_i64()
        ),
        (Some("requested"), Some("online"), Some(1500))
    );
    assert_eq!(b["resident_id"].as_i64(), Some(w.resident_id));
    let id = b["id"].as_i64().unwrap();
    let reordered = json!({"note": "少盐", "start": tomorrow["start"], "offering_id": offering});
    let (st, again) = book(s, &w.resident, "meal-1", reordered).await;
    assert_eq!((st, again["id"].as_i64()), (StatusCode::OK, Some(id)));
    let (st, v) = book(
        s,
        &w.resident,
        "meal-1",
        json!({"offering_id": offering, "start": tomorrow["start"]}),
    )
    .await;
    assert_error(
        st,
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );
    // One seat per resident per slot, whatever the key.
    let (st, v) = book(s, &w.resident, "meal-2", body.clone()).await;
    assert_error(st, &v, StatusCode::CONFLICT, "already_booked");
    let seat = |slots: &[Value]| {
        slots
            .iter()
            .find(|x| x["start_ms"] == tomorrow["start_ms"])
            .unwrap()["booked"]
            .as_i64()
    };
    assert_eq!(seat(&bookable(s, offering).await), Some(1));

    // Scopes: the resident, the canteen and the worker of C1 see it; the other provider does not.
    for who in [&w.resident, &w.staff, &w.worker, &w.regulator, &w.admin] {
        let (st, v) = s.get(who, &format!("/api/bookings/{id}")).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (st, _) = s.get(&w.other_staff, &format!("/api/bookings/{id}")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, list) = s.get(&w.other_staff, "/api/bookings").await;
    assert_eq!(list["total"], json!(0));
    let (_, list) = s.get(&w.staff, "/api/bookings?status=requested").await;
    assert_eq!(list["total"], json!(1));

    // The resident cannot confirm; the other provider cannot either; the canteen can.
    let (st, v) = act(s, &w.resident, id, "confirm").await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = act(s, &w.other_staff, id, "confirm").await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = act(s, &w.staff, id, "confirm").await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("confirmed")),
        "{v}"
    );
    let (st, v) = act(s, &w.staff, id, "confirm").await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    // Too early to start; an hour before the slot it can.
    let (st, v) = act(s, &w.staff, id, "start").await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_time");
    let start_ms = tomorrow["start_ms"].as_i64().unwrap();
    s.state().clock.advance(start_ms - now - HOUR / 2);
    // The outlet reads the resident's contact to serve them (logged).
    let (st, c) = s
        .get(&w.staff, &format!("/api/bookings/{id}/contact"))
        .await;
    assert_eq!(
        (st, c["name"].as_str()),
        (StatusCode::OK, Some("王秀英")),
        "{c}"
    );
    let (_, log) = s.get(&w.admin, "/api/access-log").await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["entity"] == json!("resident")
                && x["entity_id"] == json!(w.resident_id.to_string())),
        "{log}"
    );
    let (st, _) = act(s, &w.staff, id, "start").await;
    assert_eq!(st, StatusCode::OK);
    // Once started it cannot be cancelled.
    let (st, v) = act(s, &w.resident, id, "cancel").await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    let (st, v) = act(s, &w.staff, id, "complete").await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{v}"
    );
    // Only a regulator (or an administrator) annuls.
    let (st, v) = act(s, &w.staff, id, "annul").await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");

    // History: requested, confirmed, started, completed, by whom.
    let (_, h) = s
        .get(&w.resident, &format!("/api/bookings/{id}/events"))
        .await;
    let events: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["requested", "confirmed", "started", "completed"]);
    assert_eq!(h[1]["actor_role"], json!("provider_staff"));
    // The outbox tells the resident and the canteen of each change.
    let (_, out) = s.get(&w.admin, "/api/outbox?limit=100").await;
    let to_resident = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["recipient_kind"] == json!("resident") && x["booking_id"] == json!(id))
        .count();
    assert_eq!(to_resident, 4, "{out}");
    assert!(out["items"][1]["payload"]["message_zh"]
        .as_str()
        .unwrap()
        .contains("助餐"));
}
both!(meal_booking_lifecycle);

/// Twenty community-worker bookings for twenty residents race for the last seat of a slot:
/// exactly one wins. Twenty copies of one request with one key: one booking.
async fn last_seat_race(s: &TestServer) {
    let w = world(s, 20).await;
    let offering = meal_offering(s, &w.staff, 1).await;
    let slot = bookable(s, offering).await[3].clone();
    let s = Arc::new(s);
    let mut tasks = Vec::new();
    for (i, rid) in w.neighbours.iter().enumerate() {
        let body = json!({"offering_id": offering, "resident_id": rid, "start": slot["start"], "consent": {"method": "phone"}});
        let rb = s
            .request(&w.worker, "POST", "/api/bookings")
            .header("idempotency-key", format!("race-{i}"))
            .json(&body);
        tasks.push(tokio::spawn(async move {
            let r = rb.send().await.unwrap();
            let st = r.status();
            let v: Value = r.json().await.unwrap();
            (st, v["code"].as_str().map(str::to_string))
        }));
    }
    let mut won = 0;
    for t in tasks {
        let (st, code) = t.await.unwrap();
        match st {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => assert_eq!(code.as_deref(), Some("slot_full")),
            other => panic!("unexpected {other} {code:?}"),
        }
    }
    assert_eq!(won, 1);
    let (_, all) = s
        .get(&w.admin, &format!("/api/bookings?offering_id={offering}"))
        .await;
    assert_eq!(all["total"], json!(1));
    let (_, slots) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/offerings/{offering}/slots"),
        )
        .await;
    let seat = slots
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["start_ms"] == slot["start_ms"])
        .unwrap()
        .clone();
    assert_eq!(
        (
            seat["booked"].as_i64(),
            seat["free"].as_i64(),
            seat["bookable"].as_bool()
        ),
        (Some(1), Some(0), Some(false))
    );

    // One key sent twenty times at once (a retrying client): one booking, one seat.
    let roomy = {
        let (st, v) = s.post(&w.admin, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "meal", "delivery": "home", "price_fen": 1800, "duration_min": 60, "capacity": 5, "home_area_m": 1000.0, "plan": daily_plan()})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        v["id"].as_i64().unwrap()
    };
    let slot = bookable(&s, roomy).await[2].clone();
    let body = json!({"offering_id": roomy, "start": slot["start"]});
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let rb = s
            .request(&w.resident, "POST", "/api/bookings")
            .header("idempotency-key", "same-key")
            .json(&body);
        tasks.push(tokio::spawn(async move {
            let r = rb.send().await.unwrap();
            let st = r.status();
            let v: Value = r.json().await.unwrap();
            (st, v)
        }));
    }
    let mut ids = Vec::new();
    let mut created = 0;
    for t in tasks {
        let (st, v) = t.await.unwrap();
        assert!(
            st == StatusCode::CREATED || st == StatusCode::OK,
            "{st} {v}"
        );
        created += usize::from(st == StatusCode::CREATED);
        ids.push(v["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!((created, ids.len()), (1, 1));
    let (_, slots) = s
        .get(&Auth::Anonymous, &format!("/api/offerings/{roomy}/slots"))
        .await;
    let seat = slots
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["start_ms"] == slot["start_ms"])
        .unwrap()
        .clone();
    assert_eq!(seat["booked"].as_i64(), Some(1));
}
both!(last_seat_race);

/// Who may book for whom and how; the booking window; cancellation frees the seat and is late
/// inside the notice; no-shows after the slot begins, and three of them stop online booking.
async fn booking_rules(s: &TestServer) {
    let w = world(s, 1).await;
    let offering = meal_offering(s, &w.staff, 1).await;
    let slots = bookable(s, offering).await;
    let now = s.state().clock.now_ms();
    let slot = slots
        .iter()
        .find(|x| x["start_ms"].as_i64().unwrap() > now + 24 * HOUR)
        .unwrap()
        .clone();
    let neighbour = w.neighbours[0];

    // A community worker books for a resident of their community, with consent; not for another
    // community's resident; not without consent.
    let proxy = json!({"offering_id": offering, "resident_id": neighbour, "start": slot["start"]});
    let (st, v) = book(s, &w.worker, "p-1", proxy.clone()).await;
    assert_eq!(
        (st, v["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("consent_required")),
        "{v}"
    );
    let mut far = proxy.clone();
    far["resident_id"] = json!(w.far_resident);
    far["consent"] = json!({"method": "in_person"});
    let (st, v) = book(s, &w.worker, "p-2", far).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    // A resident cannot book for someone else, or through the proxy channel.
    let mut other = proxy.clone();
    other["channel"] = json!("online");
    let (st, v) = book(s, &w.resident, "r-1", other).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = book(
        s,
        &w.resident,
        "r-2",
        json!({"offering_id": offering, "start": slot["start"], "channel": "proxy"}),
    )
    .await;
    assert_invalid(st, &v, "channel_not_allowed");
    // Not a slot (half past the hour: slots start on the hour, whichever is first when the test
    // runs); too soon; too far ahead.
    let start_ms = slot["start_ms"].as_i64().unwrap();
    let (st, v) = book(s, &w.resident, "r-3", json!({"offering_id": offering, "start": slot["start"].as_str().unwrap().replacen(":00:00+", ":30:00+", 1)})).await;
    assert_invalid(st, &v, "not_a_slot");
    let late = slots.last().unwrap()["start"].as_str().unwrap().to_string();
    s.state().clock.advance(-20 * 24 * HOUR);
    let (st, v) = book(
        s,
        &w.resident,
        "r-4",
        json!({"offering_id": offering, "start": late}),
    )
    .await;
    assert_error(st, &v, StatusCode::CONFLICT, "outside_booking_window");
    s.state().clock.advance(20 * 24 * HOUR);

    // The proxy booking takes the only seat; the resident finds the slot full.
    let mut consented = proxy.clone();
    consented["consent"] = json!({"method": "phone", "note": "女儿代为同意"});
    let (st, b) = book(s, &w.worker, "p-3", consented).await;
    assert_eq!(
        (st, b["channel"].as_str(), b["consent_method"].as_str()),
        (StatusCode::CREATED, Some("proxy"), Some("phone")),
        "{b}"
    );
    let own = json!({"offering_id": offering, "start": slot["start"]});
    let (st, v) = book(s, &w.resident, "r-5", own.clone()).await;
    assert_error(st, &v, StatusCode::CONFLICT, "slot_full");
    // Cancelling frees it (in time: not late); the resident then gets it.
    let (st, v) = act(s, &w.worker, b["id"].as_i64().unwrap(), "cancel").await;
    assert_eq!(
        (st, v["status"].as_str(), v["late_cancel"].as_i64()),
        (StatusCode::OK, Some("cancelled"), Some(0)),
        "{v}"
    );
    let (st, mine) = book(s, &w.resident, "r-6", own.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{mine}");
    let mine = mine["id"].as_i64().unwrap();
    // Cancelling an hour before is late (the notice is two hours), but allowed.
    s.state()
        .clock
        .advance(start_ms - s.state().clock.now_ms() - HOUR);
    let (st, v) = act(s, &w.resident, mine, "cancel").await;
    assert_eq!(
        (st, v["late_cancel"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{v}"
    );

    // No-shows: three confirmed bookings not turned up to stop the resident booking online.
    let mut taken = 0;
    // One 11:00 slot a day, so that each is more than the notice ahead of the previous one.
    let upcoming: Vec<Value> = bookable(s, offering)
        .await
        .into_iter()
        .filter(|x| x["start"].as_str().unwrap().contains("T11:00"))
        // Not the slot that is just at the notice (real time passes while the test runs).
        .filter(|x| x["start_ms"].as_i64().unwrap() > s.state().clock.now_ms() + 2 * HOUR)
        .collect();
    for (i, sl) in upcoming.iter().take(4).enumerate() {
        let (st, v) = book(
            s,
            &w.resident,
            &format!("ns-{i}"),
            json!({"offering_id": offering, "start": sl["start"]}),
        )
        .await;
        if i == 3 {
            assert_error(st, &v, StatusCode::CONFLICT, "too_many_no_shows");
            // A community worker can still book for them.
            let (st, v) = book(s, &w.worker, "ns-proxy", json!({"offering_id": offering, "resident_id": w.resident_id, "start": sl["start"], "consent": {"method": "in_person"}})).await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            break;
        }
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (st, _) = act(s, &w.staff, id, "confirm").await;
        assert_eq!(st, StatusCode::OK);
        let (st, v) = act(s, &w.staff, id, "no-show").await;
        assert_error(st, &v, StatusCode::CONFLICT, "wrong_time");
        let begins = sl["start_ms"].as_i64().unwrap();
        s.state()
            .clock
            .advance(begins - s.state().clock.now_ms() + 60_000);
        let (st, v) = act(s, &w.staff, id, "no-show").await;
        assert_eq!(
            (st, v["status"].as_str()),
            (StatusCode::OK, Some("no_show")),
            "{v}"
        );
        taken += 1;
    }
    assert_eq!(taken, 3);
}
both!(booking_rules);

/// The holiday calendar closes a day for plans that observe it; a 调休 Saturday opens as the
/// weekday it works as; exceptions close a date.
async fn holidays_and_exceptions(s: &TestServer) {
    let w = world(s, 0).await;
    let weekdays: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| (d.to_string(), json!(["11:00-12:00"])))
        .collect();
    let (st, v) = s.post(&w.staff, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "meal", "delivery": "outlet", "price_fen": 1200, "duration_min": 60, "capacity": 10, "horizon_days": 60, "plan": {"week": weekdays}})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let o = v["id"].as_i64().unwrap();
    // 2027-02-15 is a Monday; 2027-02-20 a Saturday.
    let count = |v: &Value| v.as_array().unwrap().len();
    let (_, before) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/offerings/{o}/slots?from=2027-02-15&to=2027-02-21"),
        )
        .await;
    assert_eq!(count(&before), 5);
    let (st, v) = s
        .call(
            &w.staff,
            "PUT",
            "/api/calendar/2027-02-16",
            Some(json!({"kind": "holiday", "name": "春节"})),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .call(
            &w.regulator,
            "PUT",
            "/api/calendar/2027-02-16",
            Some(json!({"kind": "holiday", "name": "春节"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .call(
            &w.regulator,
            "PUT",
            "/api/calendar/2027-02-20",
            Some(json!({"kind": "workday", "works_as": "tue", "name": "春节调休"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .call(
            &w.regulator,
            "PUT",
            "/api/calendar/2027-02-21",
            Some(json!({"kind": "workday", "name": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, cal) = s.get(&Auth::Anonymous, "/api/calendar?year=2027").await;
    assert_eq!(common::strs(&cal, "day"), ["2027-02-16", "2027-02-20"]);
    let (_, after) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/offerings/{o}/slots?from=2027-02-15&to=2027-02-21"),
        )
        .await;
    let days: Vec<&str> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["start"].as_str().unwrap()[..10])
        .collect();
    assert_eq!(
        days,
        [
            "2027-02-15",
            "2027-02-17",
            "2027-02-18",
            "2027-02-19",
            "2027-02-20"
        ]
    );
    // An exception closes the Wednesday (a PATCH of the plan, compare-and-set).
    let mut plan = json!({"week": weekdays_json(), "exceptions": [{"date": "2027-02-17", "hours": [], "note": "消防检查"}]});
    let (st, v) = s
        .request(&w.staff, "PATCH", &format!("/api/offerings/{o}"))
        .header("if-match", "\"7\"")
        .json(&json!({"plan": plan}))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let v: Value = v.json().await.unwrap();
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    plan["holidays"] = json!("observe");
    let (st, v) = s
        .patch(
            &w.staff,
            &format!("/api/offerings/{o}"),
            json!({"plan": plan}),
        )
        .await;
    assert_eq!(
        (st, v["version"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{v}"
    );
    let (_, after) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/offerings/{o}/slots?from=2027-02-15&to=2027-02-21"),
        )
        .await;
    assert_eq!(count(&after), 4);
    let (st, v) = s
        .patch(
            &w.staff,
            &format!("/api/offerings/{o}"),
            json!({"service": "bathing"}),
        )
        .await;
    assert_invalid(st, &v, "immutable");
    let (st, v) = s
        .call(&w.regulator, "DELETE", "/api/calendar/2027-02-16", None)
        .await;
    assert_eq!((st, v["deleted"].as_bool()), (StatusCode::OK, Some(true)));
    let (st, v) = s
        .call(&w.regulator, "DELETE", "/api/calendar/2027-02-16", None)
        .await;
    assert_eq!((st, v["deleted"].as_bool()), (StatusCode::OK, Some(false)));
}
both!(holidays_and_exceptions);

fn weekdays_json() -> Value {
    let m: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| (d.to_string(), json!(["11:00-12:00"])))
        .collect();
    Value::Object(m)
}

/// The bar of issue 11, on a fresh server (`lc_server::start`, what `livingcircle serve` runs):
/// a resident books tomorrow's meal through the API, the canteen confirms and completes it, the
/// subsidy is debited once (ten concurrent completions of another booking debit once too), an
/// annulment gives it back, and a community worker's visit record raises the month's visit rate.
async fn resident_meal_end_to_end(s: &TestServer) {
    use lc_services::time::{local_date, YearMonth};
    let w = world(s, 0).await;
    let today = local_date(s.state().clock.now_ms()).unwrap();
    let month = YearMonth::of_date(today).to_string();
    // The district's rule: 30 yuan of meals a month for people living alone; the resident is
    // registered by their community worker; this month's grant is made.
    let (st, v) = s
        .post(
            &w.regulator,
            "/api/care/entitlements",
            json!({"category": "living_alone", "service": "meal", "monthly_fen": 3000}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.post(&w.worker, "/api/care/register", json!({"resident_id": w.resident_id, "categories": ["living_alone", "advanced_age"], "since": "2025-01-01"})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let entry = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(&w.regulator, "/api/care/grants", json!({"month": month}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let balance = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["service"] == json!("meal"))
            .unwrap()["balance_fen"]
            .as_i64()
    };
    let (_, v) = s
        .get(&w.resident, &format!("/api/care/register/{entry}/balance"))
        .await;
    assert_eq!(balance(&v), Some(3000), "{v}");
    // The month's visit rate before any visit: the resident is due, not visited.
    let rate = |v: &Value| {
        let r = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == json!(C1))
            .unwrap();
        (r["due"].as_u64(), r["visited"].as_u64(), r["rate"].as_f64())
    };
    let (st, v) = s
        .get(&w.regulator, &format!("/api/care/visit-rate?month={month}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(rate(&v), (Some(1), Some(0), Some(0.0)), "{v}");

    // Tomorrow's meal, 15 yuan, of which the subsidy pays up to 5.
    let offering = meal_offering(s, &w.staff, 20).await;
    let now = s.state().clock.now_ms();
    let slots = bookable(s, offering).await;
    let noon = |after: i64| {
        slots
            .iter()
            .find(|x| {
                x["start_ms"].as_i64().unwrap() > after
                    && x["start"].as_str().unwrap().contains("T11:00")
            })
            .unwrap()
            .clone()
    };
    let tomorrow = noon(now + 12 * HOUR);
    let (st, b) = book(
        s,
        &w.resident,
        "e2e-1",
        json!({"offering_id": offering, "start": tomorrow["start"]}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (st, _) = act(s, &w.staff, id, "confirm").await;
    assert_eq!(st, StatusCode::OK);
    s.state()
        .clock
        .advance(tomorrow["start_ms"].as_i64().unwrap() - now - 10 * 60_000);
    let (st, _) = act(s, &w.staff, id, "start").await;
    assert_eq!(st, StatusCode::OK);
    let (st, done) = act(s, &w.staff, id, "complete").await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!(
        (
            done["subsidy_fen"].as_i64(),
            done["resident_pays_fen"].as_i64()
        ),
        (Some(500), Some(1000)),
        "{done}"
    );
    let (st, v) = act(s, &w.staff, id, "complete").await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    let (_, v) = s
        .get(&w.resident, &format!("/api/care/register/{entry}/balance"))
        .await;
    assert_eq!(balance(&v), Some(2500), "debited once: {v}");

    // Another meal the day after; ten completions at once debit it once.
    let next = noon(tomorrow["start_ms"].as_i64().unwrap() + 12 * HOUR);
    let (st, b2) = book(
        s,
        &w.resident,
        "e2e-2",
        json!({"offering_id": offering, "start": next["start"]}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b2}");
    let id2 = b2["id"].as_i64().unwrap();
    assert_eq!(act(s, &w.staff, id2, "confirm").await.0, StatusCode::OK);
    let at = s.state().clock.now_ms();
    s.state()
        .clock
        .advance(next["start_ms"].as_i64().unwrap() - at - 10 * 60_000);
    assert_eq!(act(s, &w.staff, id2, "start").await.0, StatusCode::OK);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let rb = s
            .request(&w.staff, "POST", &format!("/api/bookings/{id2}/complete"))
            .json(&json!({}));
        tasks.push(tokio::spawn(
            async move { rb.send().await.unwrap().status() },
        ));
    }
    let mut ok = 0;
    for t in tasks {
        let st = t.await.unwrap();
        assert!(st == StatusCode::OK || st == StatusCode::CONFLICT, "{st}");
        ok += usize::from(st == StatusCode::OK);
    }
    assert_eq!(ok, 1);
    let (_, v) = s
        .get(&w.resident, &format!("/api/care/register/{entry}/balance"))
        .await;
    assert_eq!(balance(&v), Some(2000), "{v}");
    // A check finds the first meal was never served: the regulator annuls it, the debit returns.
    let (st, v) = act(s, &w.regulator, id, "annul").await;
    assert_eq!(
        (st, v["status"].as_str(), v["subsidy_fen"].as_i64()),
        (StatusCode::OK, Some("annulled"), Some(0)),
        "{v}"
    );
    let (_, v) = s
        .get(&w.resident, &format!("/api/care/register/{entry}/balance"))
        .await;
    assert_eq!(balance(&v), Some(2500), "{v}");
    let (st, v) = s.get(&w.regulator, "/api/care/ledger/check").await;
    assert_eq!(st, StatusCode::OK, "{v}");

    // The community worker visits the resident (today, before the meal): the rate rises to 1.
    let (st, v) = s.post(&w.worker, "/api/care/visits", json!({"register_id": entry, "mode": "home", "date": today.to_string(), "start": "09:00", "end": "09:30", "place": "富润家园 3 号楼 201", "outcome": "身体尚好，按时就餐", "needs": [{"text": "希望增加周末送餐"}]})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, v) = s
        .get(&w.regulator, &format!("/api/care/visit-rate?month={month}"))
        .await;
    assert_eq!(rate(&v), (Some(1), Some(1), Some(1.0)), "{v}");
}
both!(resident_meal_end_to_end);

/// A home service reaches the communities within its walking distance of the outlet, computed
/// on the walking network; a resident of a community outside it cannot book it.
async fn home_service_area(s: &TestServer) {
    let w = world(s, 0).await;
    let (st, v) = s
        .post(
            &w.admin,
            "/api/residents",
            json!({"community_id": "110108010019", "name": "农大居民"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let inside = v["id"].as_i64().unwrap();
    let (st, v) = s.post(&w.staff, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "meal", "delivery": "home", "price_fen": 2000, "duration_min": 60, "capacity": 5, "home_area_m": 800.0, "plan": daily_plan()})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert!(v["area_computed_at"].as_i64().is_some(), "{v}");
    let o = v["id"].as_i64().unwrap();
    let (st, area) = s
        .get(&Auth::Anonymous, &format!("/api/offerings/{o}/area"))
        .await;
    assert_eq!(st, StatusCode::OK, "{area}");
    assert_eq!(area["status"], json!("computed"));
    let list = area["communities"].as_array().unwrap().clone();
    let ids: Vec<&str> = list
        .iter()
        .map(|c| c["community_id"].as_str().unwrap())
        .collect();
    // Walking distances: within the radius, in order, never shorter than the straight line.
    let outlet = lc_model::LonLat::new(116.348, 39.998);
    let (_, communities) = s.get(&Auth::Anonymous, "/api/communities?limit=100").await;
    for c in &list {
        let d = c["distance_m"].as_f64().unwrap();
        assert!(d <= 800.0 + 1e-3, "{c}");
        let row = communities["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == c["community_id"])
            .unwrap();
        let straight = outlet.haversine_m(lc_model::LonLat::new(
            row["lon"].as_f64().unwrap(),
            row["lat"].as_f64().unwrap(),
        ));
        assert!(
            d + 300.0 >= straight,
            "{c}: walking {d} m vs straight {straight} m"
        );
    }
    assert!(list
        .windows(2)
        .all(|p| p[0]["distance_m"].as_f64() <= p[1]["distance_m"].as_f64()));
    assert!(ids.contains(&C1), "{area}");
    assert!(!ids.contains(&"110108010019"), "{area}");
    // C1's resident books; the far community's resident is refused with the reason.
    let now = s.state().clock.now_ms();
    let slot = bookable(s, o)
        .await
        .into_iter()
        .find(|x| x["start_ms"].as_i64().unwrap() > now + 2 * HOUR)
        .unwrap();
    let (st, v) = book(
        s,
        &w.resident,
        "home-1",
        json!({"offering_id": o, "start": slot["start"]}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.post(&w.admin, "/api/users", json!({"username": "worker-019", "password": "password-123456", "role": "community_worker", "community_id": "110108010019"})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let far_worker = s.login("worker-019", "password-123456").await;
    let (st, v) = book(s, &far_worker, "home-2", json!({"offering_id": o, "resident_id": inside, "start": slot["start"], "consent": {"method": "phone"}})).await;
    assert_invalid(st, &v, "outside_service_area");
    assert!(
        v["errors"][0]["message_zh"]
            .as_str()
            .unwrap()
            .contains("步行服务范围（800 米）"),
        "{v}"
    );
    // A wider area takes it in (the area is computed again on the change).
    let (st, v) = s
        .patch(
            &w.staff,
            &format!("/api/offerings/{o}"),
            json!({"home_area_m": 2500.0}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, area) = s
        .get(&Auth::Anonymous, &format!("/api/offerings/{o}/area"))
        .await;
    assert!(
        area["communities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["community_id"] == json!("110108010019")),
        "{area}"
    );
    let (st, v) = book(s, &far_worker, "home-3", json!({"offering_id": o, "resident_id": inside, "start": slot["start"], "consent": {"method": "phone"}})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    // An outlet offering has no area to compute.
    let id = meal_offering(s, &w.staff, 3).await;
    let (_, area) = s
        .get(&Auth::Anonymous, &format!("/api/offerings/{id}/area"))
        .await;
    assert_eq!(area["status"], json!("not_applicable"));
}

mod home_service_area {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let s = super::TestServer::start_with_network(
            super::common::Db::Sqlite,
            "home_service_area",
            Some(super::cau_network()),
        )
        .await
        .unwrap();
        super::home_service_area(&s).await;
        s.stop().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(s) = super::TestServer::start_with_network(
            super::common::Db::Postgres,
            "home_service_area",
            Some(super::cau_network()),
        )
        .await
        else {
            return;
        };
        super::home_service_area(&s).await;
        s.stop().await;
    }
}

/// Without a walking network the area is not computed, and says so; bookings are not checked.
async fn home_service_without_network(s: &TestServer) {
    let w = world(s, 0).await;
    let (st, v) = s.post(&w.staff, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "meal", "delivery": "home", "price_fen": 2000, "duration_min": 60, "capacity": 5, "home_area_m": 800.0, "plan": daily_plan()})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["area_computed_at"], Value::Null);
    let (_, area) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/offerings/{}/area", v["id"]),
        )
        .await;
    assert_eq!(
        (
            area["status"].as_str(),
            area["communities"].as_array().map(Vec::len)
        ),
        (Some("not_computed"), Some(0))
    );
}
both!(home_service_without_network);

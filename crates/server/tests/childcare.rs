//! Childcare places (托位) and home elderly-care beds (家庭养老床位), issue 11: a waiting list
//! worked by hand, concurrent applications for the last place, places per region, a home-bed
//! contract that falls short of its promised visits, scopes and masking. Every scenario runs on
//! SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;

use common::{assert_error, assert_invalid, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";
const C1: &str = "110108010031";
const C2: &str = "110108010021";

struct World {
    admin: Auth,
    staff: Auth,
    other_staff: Auth,
    worker: Auth,
    resident: Auth,
    resident_id: i64,
    /// Residents of C1 without accounts.
    parents: Vec<i64>,
    far_parent: i64,
    regulator: Auth,
}

async fn world(s: &TestServer, parents: usize) -> World {
    let admin = s.admin().await;
    for (code, name) in [(P, "甲托育公司"), (Q, "乙养老公司")] {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": code, "name": name}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    for (id, category, owner, capacity) in [
        ("N1", "nursery", P, 3.0),
        ("N2", "nursery", Q, 10.0),
        ("E1", "elderly_service_station", P, 20.0),
    ] {
        let (st, v) = s.post(&admin, "/api/facilities", json!({"id": id, "name": format!("{id} 网点"), "category": category, "lon": 116.348, "lat": 39.998, "provider_code": owner, "capacity": capacity, "division_code": "110108010"})).await;
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
    let (uid, resident) = s.user(&admin, "parent-1", "resident", json!({})).await;
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
    for i in 0..parents {
        let (st, v) = s
            .post(
                &admin,
                "/api/residents",
                json!({"community_id": C1, "name": format!("家长{i}")}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    let (_, v) = s
        .post(
            &admin,
            "/api/residents",
            json!({"community_id": C2, "name": "远方家长"}),
        )
        .await;
    World {
        admin,
        staff,
        other_staff,
        worker,
        resident,
        resident_id,
        parents: ids,
        far_parent: v["id"].as_i64().unwrap(),
        regulator,
    }
}

async fn apply(s: &TestServer, who: &Auth, parent: Option<i64>, child: &str) -> Value {
    let mut body =
        json!({"facility_id": "N1", "child_name": child, "child_birth_month": "2025-03"});
    if let Some(p) = parent {
        body["parent_resident_id"] = json!(p);
    }
    let (st, v) = s.post(who, "/api/childcare/enrolments", body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v
}

/// A nursery as whoever keeps the registry reads it. The public reads the same but for the
/// counts of children (enrolled, waiting: `null`, named in `suppressed`); places, places held
/// and free places are the nursery's availability and stay public.
async fn nursery(s: &TestServer, id: &str) -> Value {
    let path = format!("/api/childcare/nurseries/{id}");
    let (st, full) = s.get(&s.admin().await, &path).await;
    assert_eq!(st, StatusCode::OK, "{full}");
    assert_eq!(full["suppressed"], json!([]));
    let (st, public) = s.get(&Auth::Anonymous, &path).await;
    assert_eq!(st, StatusCode::OK, "{public}");
    let mut expected = full.clone();
    expected["enrolled"] = Value::Null;
    expected["waiting"] = Value::Null;
    expected["suppressed"] = json!(["enrolled", "waiting"]);
    assert_eq!(public, expected);
    full
}

/// 3 places, 5 applications: the first three are offered places at once and enrol, the
/// other two wait in order; one child leaves and the head of the list is offered the place.
async fn waiting_list_by_hand(s: &TestServer) {
    let w = world(s, 5).await;
    // The places open from the facility's capacity (3).
    let n = nursery(s, "N1").await;
    assert_eq!(
        (n["places"].as_i64(), n["in_use"].as_i64()),
        (Some(3), Some(0))
    );
    let mut apps = Vec::new();
    for (i, p) in w.parents.iter().enumerate() {
        apps.push(apply(s, &w.worker, Some(*p), &format!("孩子{i}")).await);
    }
    let status = |v: &Value| v["status"].as_str().unwrap().to_string();
    assert_eq!(
        apps.iter().map(status).collect::<Vec<_>>(),
        ["offered", "offered", "offered", "waiting", "waiting"]
    );
    assert_eq!(apps[3]["position"], json!(1));
    assert_eq!(apps[4]["position"], json!(2));
    let ids: Vec<i64> = apps.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    // The nursery accepts for the first three (the parents said yes by phone).
    for id in &ids[..3] {
        let (st, v) = s
            .post(
                &w.staff,
                &format!("/api/childcare/enrolments/{id}/accept"),
                json!({}),
            )
            .await;
        assert_eq!(
            (st, v["status"].as_str()),
            (StatusCode::OK, Some("enrolled")),
            "{v}"
        );
    }
    let n = nursery(s, "N1").await;
    assert_eq!(
        (
            n["in_use"].as_i64(),
            n["free"].as_i64(),
            n["enrolled"].as_i64(),
            n["waiting"].as_i64()
        ),
        (Some(3), Some(0), Some(3), Some(2))
    );
    // The waiting list, in order, masked.
    let (st, list) = s.get(&w.staff, "/api/childcare/nurseries/N1/waiting").await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        ids[3..].to_vec()
    );
    assert_eq!(list[0]["child_name"], json!("孩**"));
    assert_eq!(list[0]["child_birth_month"], json!("2025-**"));
    // The second child leaves: the head of the list (the fourth application) is offered.
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/childcare/enrolments/{}/leave", ids[1]),
            json!({}),
        )
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("left")),
        "{v}"
    );
    let (_, fourth) = s
        .get(&w.admin, &format!("/api/childcare/enrolments/{}", ids[3]))
        .await;
    assert_eq!(fourth["status"], json!("offered"), "{fourth}");
    assert!(fourth["offer_expires_at"].as_i64().unwrap() > fourth["offered_at"].as_i64().unwrap());
    let (_, fifth) = s
        .get(&w.admin, &format!("/api/childcare/enrolments/{}", ids[4]))
        .await;
    assert_eq!(
        (fifth["status"].as_str(), fifth["position"].as_i64()),
        (Some("waiting"), Some(1))
    );
    // The nursery cannot give up the offer before it lapses; the parent can, and the place
    // goes on to the fifth.
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/childcare/enrolments/{}/decline", ids[3]),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_time");
    // A lapsed offer: seven days later the nursery records it as declined.
    s.state().clock.advance(8 * 86_400_000);
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/childcare/enrolments/{}/decline", ids[3]),
            json!({}),
        )
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("declined")),
        "{v}"
    );
    let (_, fifth) = s
        .get(&w.admin, &format!("/api/childcare/enrolments/{}", ids[4]))
        .await;
    assert_eq!(fifth["status"], json!("offered"));
    // Places cannot go below those in use; more places go to the list (empty now).
    let (st, v) = s
        .call(
            &w.staff,
            "PUT",
            "/api/childcare/nurseries/N1/places",
            Some(json!({"places": 2})),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "places_in_use");
    let (st, v) = s
        .call(
            &w.other_staff,
            "PUT",
            "/api/childcare/nurseries/N1/places",
            Some(json!({"places": 9})),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .call(
            &w.staff,
            "PUT",
            "/api/childcare/nurseries/N1/places",
            Some(json!({"places": 4})),
        )
        .await;
    assert_eq!(
        (st, v["places"].as_i64(), v["free"].as_i64()),
        (StatusCode::OK, Some(4), Some(1)),
        "{v}"
    );
    // The registry's capacity follows (what `assess` reads for GS04/HE06 from the export).
    let (_, f) = s.get(&Auth::Anonymous, "/api/facilities/N1").await;
    assert_eq!(f["capacity"].as_f64(), Some(4.0), "{f}");
    let (_, csv) = s
        .bytes(&Auth::Anonymous, "/api/facilities/export.csv")
        .await;
    let csv = String::from_utf8(csv).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let cap = header.iter().position(|h| *h == "capacity").unwrap();
    let row: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("N1,"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(row[cap], "4", "{csv}");
    // Wrong actions are refused with stable codes; closed stays closed.
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/childcare/enrolments/{}/leave", ids[1]),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    let (st, v) = s
        .post(
            &w.worker,
            &format!("/api/childcare/enrolments/{}/withdraw", ids[0]),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/childcare/enrolments/{}/accept", ids[4]),
            json!({"x": 1}),
        )
        .await;
    assert_invalid(st, &v, "unknown_field");
    // A stale If-Match is 409.
    let (st, v) = s
        .request(
            &w.staff,
            "POST",
            &format!("/api/childcare/enrolments/{}/accept", ids[4]),
        )
        .header("if-match", "\"0\"")
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let v: Value = v.json().await.unwrap();
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    // Bad input: 422 and 404, never 500.
    let (st, v) = s
        .post(&w.worker, "/api/childcare/enrolments", json!({"facility_id": "E1", "parent_resident_id": w.parents[0], "child_name": "小红", "child_birth_month": "2025-01"}))
        .await;
    assert_invalid(st, &v, "not_a_nursery");
    let (st, v) = s
        .post(&w.worker, "/api/childcare/enrolments", json!({"facility_id": "N1", "parent_resident_id": w.parents[0], "child_name": "孩子0", "child_birth_month": "2025-03"}))
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    let (st, v) = s
        .post(&w.worker, "/api/childcare/enrolments", json!({"facility_id": "N1", "parent_resident_id": w.parents[0], "child_name": "大宝", "child_birth_month": "2019-03"}))
        .await;
    assert_invalid(st, &v, "too_old");
    let (st, _) = s.get(&w.admin, "/api/childcare/enrolments/abc").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.get(&Auth::Anonymous, "/api/childcare/nurseries/E1").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The offers were written to the outbox for the parents.
    let (_, out) = s.get(&w.admin, "/api/outbox?limit=1000").await;
    let offers = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| {
            x["kind"] == json!("childcare_offered") && x["recipient_kind"] == json!("resident")
        })
        .count();
    assert_eq!(offers, 5, "three at once, then the fourth and the fifth");
}
both!(waiting_list_by_hand);

/// Twelve applications race for the last free place: exactly one is offered it.
async fn last_place_race(s: &TestServer) {
    let w = world(s, 12).await;
    let (st, v) = s
        .call(
            &w.staff,
            "PUT",
            "/api/childcare/nurseries/N1/places",
            Some(json!({"places": 1})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let s = Arc::new(s);
    let mut tasks = Vec::new();
    for (i, p) in w.parents.iter().enumerate() {
        let rb = s.request(&w.worker, "POST", "/api/childcare/enrolments").json(&json!({"facility_id": "N1", "parent_resident_id": p, "child_name": format!("孩子{i}"), "child_birth_month": "2025-01"}));
        tasks.push(tokio::spawn(async move {
            let r = rb.send().await.unwrap();
            let st = r.status();
            let v: Value = r.json().await.unwrap();
            (st, v)
        }));
    }
    let mut offered = 0;
    for t in tasks {
        let (st, v) = t.await.unwrap();
        assert_eq!(st, StatusCode::CREATED, "{v}");
        if v["status"] == json!("offered") {
            offered += 1;
        }
    }
    assert_eq!(offered, 1);
    let n = nursery(&s, "N1").await;
    assert_eq!(
        (n["in_use"].as_i64(), n["waiting"].as_i64()),
        (Some(1), Some(11))
    );
    let (_, all) = s
        .get(
            &w.admin,
            "/api/childcare/enrolments?facility_id=N1&status=offered",
        )
        .await;
    assert_eq!(all["total"], json!(1));
    // The waiting list is in the order of application ids.
    let (_, list) = s.get(&w.admin, "/api/childcare/nurseries/N1/waiting").await;
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}
both!(last_place_race);

/// Places per region: the nurseries' places and the communities' population per province,
/// city, district and street, so that places per 1000 people can be computed (GS04, HE06).
async fn places_per_region(s: &TestServer) {
    let w = world(s, 1).await;
    apply(s, &w.worker, Some(w.parents[0]), "小明").await;
    let (st, rows) = s
        .get(
            &w.admin,
            "/api/childcare/places?level=street&division=110108010",
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{rows}");
    let street = &rows[0];
    assert_eq!(street["region_code"], json!("110108010"));
    assert_eq!(
        (
            street["nurseries"].as_i64(),
            street["places"].as_i64(),
            street["in_use"].as_i64(),
            street["free"].as_i64()
        ),
        (Some(2), Some(13), Some(1), Some(12))
    );
    let pop = street["population"].as_f64().unwrap();
    // The street's population is the sum over its communities in the registry.
    let (_, comms) = s
        .get(&w.admin, "/api/communities?division=110108010&limit=1000")
        .await;
    let sum: f64 = comms["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["population"].as_f64().unwrap())
        .sum();
    assert!(pop > 0.0 && (pop - sum).abs() < 1e-6, "{pop} vs {sum}");
    let rate = street["places_per_1000"].as_f64().unwrap();
    assert!((rate - 13.0 / pop * 1000.0).abs() < 1e-9);
    // Open to everyone, the one child in a place is a count under 10: withheld with the free
    // places that would give it back (places are shown); the street's population is not small.
    let (st, rows) = s
        .get(
            &Auth::Anonymous,
            "/api/childcare/places?level=street&division=110108010",
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{rows}");
    let open = &rows[0];
    assert_eq!(
        (
            open["places"].as_i64(),
            open["in_use"].clone(),
            open["free"].clone()
        ),
        (Some(13), Value::Null, Value::Null)
    );
    assert_eq!(open["population"].as_f64(), Some(pop));
    assert_eq!(open["suppressed"], json!(["in_use", "free"]));
    let (_, text, _) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            "/api/childcare/places.csv?level=street",
            None,
        )
        .await;
    assert!(text.contains("street,110108010,2,13,x,x,"), "{text}");
    let (st, text, _) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            "/api/childcare/places.csv?level=district",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(text.starts_with("level,region_code,nurseries,places,in_use,free,waiting,population,children_0_3,places_per_1000"), "{text}");
    assert!(text.contains("district,110108,"), "{text}");
    let (st, v) = s
        .get(&Auth::Anonymous, "/api/childcare/places?level=planet")
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
}
both!(places_per_region);

/// Who sees which application, masked in lists and in full (logged) in one-record reads.
async fn childcare_scopes(s: &TestServer) {
    let w = world(s, 1).await;
    let own = apply(s, &w.resident, None, "王小宝").await;
    assert_eq!(own["parent_resident_id"], json!(w.resident_id));
    assert_eq!(own["child_name"], json!("王小宝"));
    let other = apply(s, &w.admin, Some(w.far_parent), "远方孩子").await;
    let (own_id, other_id) = (own["id"].as_i64().unwrap(), other["id"].as_i64().unwrap());
    // A resident applies only for their own child.
    let (st, v) = s
        .post(&w.resident, "/api/childcare/enrolments", json!({"facility_id": "N1", "parent_resident_id": w.far_parent, "child_name": "x", "child_birth_month": "2025-01"}))
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    // A community worker only for their community's residents.
    let (st, v) = s
        .post(&w.worker, "/api/childcare/enrolments", json!({"facility_id": "N1", "parent_resident_id": w.far_parent, "child_name": "y", "child_birth_month": "2025-01"}))
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (_, v) = s.get(&w.resident, "/api/childcare/enrolments").await;
    assert_eq!(v["total"], json!(1));
    assert_eq!(v["items"][0]["child_name"], json!("王**"));
    let (st, _) = s
        .get(
            &w.resident,
            &format!("/api/childcare/enrolments/{other_id}"),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, v) = s.get(&w.worker, "/api/childcare/enrolments").await;
    assert_eq!(v["total"], json!(1), "own community only");
    let (_, v) = s.get(&w.other_staff, "/api/childcare/enrolments").await;
    assert_eq!(v["total"], json!(0), "provider Q runs no nursery N1");
    let (st, _) = s
        .get(
            &w.other_staff,
            &format!("/api/childcare/enrolments/{own_id}"),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .post(
            &w.other_staff,
            &format!("/api/childcare/enrolments/{own_id}/accept"),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (_, v) = s.get(&w.regulator, "/api/childcare/enrolments").await;
    assert_eq!(v["total"], json!(2));
    let (st, v) = s
        .get(&w.staff, &format!("/api/childcare/enrolments/{own_id}"))
        .await;
    assert_eq!(
        (
            st,
            v["child_name"].as_str(),
            v["child_birth_month"].as_str()
        ),
        (StatusCode::OK, Some("王小宝"), Some("2025-03"))
    );
    let (_, log) = s
        .get(
            &w.admin,
            &format!("/api/access-log?entity=childcare_enrolment&entity_id={own_id}"),
        )
        .await;
    assert_eq!(log["items"][0]["role"], json!("provider_staff"), "{log}");
    // The parent accepts their own offer; a regulator may not act.
    let (st, v) = s
        .post(
            &w.regulator,
            &format!("/api/childcare/enrolments/{own_id}/withdraw"),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .post(
            &w.resident,
            &format!("/api/childcare/enrolments/{own_id}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("enrolled")),
        "{v}"
    );
}
both!(childcare_scopes);

/// A home-bed contract promising 4 visits a month, 3 recorded in March: listed as short.
async fn home_bed_short_of_its_promise(s: &TestServer) {
    let w = world(s, 0).await;
    let (st, v) = s
        .post(
            &w.admin,
            "/api/practitioners",
            json!({"provider_code": P, "name": "李护理员", "kind": "caregiver"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let carer = v["id"].as_i64().unwrap();
    let body = json!({"resident_id": w.resident_id, "facility_id": "E1", "services": ["home_bed_visit", "bathing"], "start": "2025-06-01", "end": "2030-05-31", "visits_per_month": 4, "notes": "卧床，需翻身"});
    let (st, v) = s.post(&w.other_staff, "/api/home-beds", body.clone()).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s.post(&w.staff, "/api/home-beds", json!({"resident_id": w.resident_id, "facility_id": "E1", "services": ["housekeeping"], "start": "2025-06-01", "end": "2030-05-31", "visits_per_month": 4})).await;
    assert_invalid(st, &v, "invalid_service");
    let (st, v) = s.post(&w.staff, "/api/home-beds", body.clone()).await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::CREATED, Some("draft")),
        "{v}"
    );
    let id = v["id"].as_i64().unwrap();
    // A visit of a draft is refused; activate first.
    let visit = |date: &str, service: &str| json!({"service": service, "date": date, "start": "09:00", "end": "10:00", "place": "家中", "practitioner_id": carer, "notes": "翻身、擦浴"});
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/home-beds/{id}/visits"),
            visit("2020-03-02", "bathing"),
        )
        .await;
    assert_invalid(st, &v, "not_in_force");
    let (st, v) = s
        .post(
            &w.resident,
            &format!("/api/home-beds/{id}/activate"),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/home-beds/{id}/activate"),
            json!({}),
        )
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("active")),
        "{v}"
    );
    let activated = v["activated_on"].as_str().unwrap().to_string();
    // A second active contract for the same resident is refused by the database.
    let (_, v2) = s.post(&w.staff, "/api/home-beds", body.clone()).await;
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/home-beds/{}/activate", v2["id"]),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    let (st, _) = s
        .post(
            &w.staff,
            &format!("/api/home-beds/{}/terminate", v2["id"]),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // Three visits in the month after activation (Asia/Shanghai dates).
    let month_after = {
        let (y, m): (i32, i32) = (
            activated[..4].parse().unwrap(),
            activated[5..7].parse().unwrap(),
        );
        if m == 12 {
            format!("{:04}-01", y + 1)
        } else {
            format!("{y:04}-{:02}", m + 1)
        }
    };
    // Move the clock past that month so its visits are in the past and the month is over.
    s.state().clock.advance(70 * 86_400_000);
    for (day, service) in [
        ("03", "bathing"),
        ("10", "home_bed_visit"),
        ("17", "bathing"),
    ] {
        let (st, v) = s
            .post(
                &w.staff,
                &format!("/api/home-beds/{id}/visits"),
                visit(&format!("{month_after}-{day}"), service),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/home-beds/{id}/visits"),
            visit(&format!("{month_after}-20"), "meal"),
        )
        .await;
    assert_invalid(st, &v, "not_in_contract");
    let (st, v) = s.post(&w.staff, &format!("/api/home-beds/{id}/visits"), json!({"service": "bathing", "date": format!("{month_after}-21"), "start": "09:00", "end": "10:00", "place": "家中"})).await;
    assert_invalid(st, &v, "required");
    let (st, short) = s
        .get(
            &w.regulator,
            &format!("/api/home-beds/short?month={month_after}"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{short}");
    assert_eq!(short["month_over"], json!(true));
    assert_eq!(short["items"].as_array().unwrap().len(), 1, "{short}");
    let row = &short["items"][0];
    assert_eq!(
        (
            row["contract_id"].as_i64(),
            row["promised"].as_i64(),
            row["delivered"].as_i64(),
            row["short_by"].as_i64()
        ),
        (Some(id), Some(4), Some(3), Some(1))
    );
    // A fourth visit keeps the promise: no longer short.
    let (st, _) = s
        .post(
            &w.staff,
            &format!("/api/home-beds/{id}/visits"),
            visit(&format!("{month_after}-24"), "home_bed_visit"),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, short) = s
        .get(
            &w.staff,
            &format!("/api/home-beds/short?month={month_after}"),
        )
        .await;
    assert_eq!(short["items"], json!([]));
    let (_, f) = s
        .get(
            &w.worker,
            &format!("/api/home-beds/fulfilment?month={month_after}"),
        )
        .await;
    assert_eq!(
        (f["promised"].as_i64(), f["delivered"].as_i64()),
        (Some(4), Some(4)),
        "{f}"
    );
    let (_, f) = s
        .get(
            &w.other_staff,
            &format!("/api/home-beds/fulfilment?month={month_after}"),
        )
        .await;
    assert_eq!(
        f["items"],
        json!([]),
        "another provider's contracts are out of reach"
    );
    let (st, v) = s.get(&w.staff, "/api/home-beds/short?month=2026-13").await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    // Masked in lists, in full (and logged) in one read.
    let (_, list) = s.get(&w.worker, "/api/home-beds").await;
    assert_eq!(list["total"], json!(2));
    assert_eq!(
        (
            list["items"][0]["notes"].as_str(),
            list["items"][0]["resident_name"].as_str()
        ),
        (Some("***"), Some("王**"))
    );
    let (_, visits) = s
        .get(&w.resident, &format!("/api/home-beds/{id}/visits"))
        .await;
    assert_eq!(visits.as_array().unwrap().len(), 4);
    assert_eq!(visits[0]["place"], json!("***"));
    let (st, v) = s.get(&w.worker, &format!("/api/home-beds/{id}")).await;
    assert_eq!(
        (st, v["notes"].as_str()),
        (StatusCode::OK, Some("卧床，需翻身"))
    );
    let (_, log) = s
        .get(
            &w.admin,
            &format!("/api/access-log?entity=home_bed_contract&entity_id={id}"),
        )
        .await;
    assert_eq!(log["items"][0]["role"], json!("community_worker"), "{log}");
    let (st, _) = s.get(&w.other_staff, &format!("/api/home-beds/{id}")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Ending before the end date is refused; the resident may terminate their own contract.
    let (st, v) = s
        .post(&w.staff, &format!("/api/home-beds/{id}/end"), json!({}))
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_time");
    let (st, v) = s
        .post(
            &w.resident,
            &format!("/api/home-beds/{id}/terminate"),
            json!({}),
        )
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("terminated")),
        "{v}"
    );
    let (st, v) = s
        .post(
            &w.staff,
            &format!("/api/home-beds/{id}/visits"),
            visit("2099-01-01", "bathing"),
        )
        .await;
    assert_invalid(st, &v, "in_future");
}
both!(home_bed_short_of_its_promise);

//! The web portal's pages for community workers (bookings on a resident's behalf, the warnings
//! assigned to their community) and for administrators (accounts and roles, the holiday
//! calendar, the rule tables), driven through their own forms on the real server with a walking
//! network (SQLite and PostgreSQL): a cookie-keeping client that follows no redirect by itself,
//! signs in through /login and posts each form with the session's CSRF token. Every assertion
//! checks the API's records too, not only what the page says.

mod common;

use common::browser::{input_value, Browser};
use common::{cau_network, set_clock, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
/// 富润家园 and a community of the same street, both on the CAU walking network.
const C1: &str = "110108010031";
const C2: &str = "110108010021";

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

async fn api(s: &TestServer, who: &Auth, path: &str) -> Value {
    let (st, v) = s.get(who, path).await;
    assert_eq!(st, StatusCode::OK, "{path}: {v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_and_admin_pages_on_sqlite() {
    let s = TestServer::start_with_network(
        common::Db::Sqlite,
        "portal_worker_admin",
        Some(cau_network()),
    )
    .await
    .unwrap();
    scenario(&s).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_and_admin_pages_on_postgres() {
    let Some(s) = TestServer::start_with_network(
        common::Db::Postgres,
        "portal_worker_admin",
        Some(cau_network()),
    )
    .await
    else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the PostgreSQL tests"
        );
        return;
    };
    scenario(&s).await;
    s.stop().await;
}

struct World {
    admin: Auth,
    worker_id: i64,
    /// A resident of C1 (the worker's community) on the care register, and one of C2.
    mine: i64,
    other: i64,
}

async fn scenario(s: &TestServer) {
    // Wednesday 10 June 2026, 09:00 in Beijing: lunch at 11:00 is bookable today; May is over.
    set_clock(s, "2026-06-10T09:00:00+08:00");
    let admin = s.admin().await;
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": P, "name": "甲餐饮公司"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    // Beside C1 on the walking network.
    let (st, v) = s.post(&admin, "/api/facilities", json!({"id": "CANTEEN", "name": "学院路长者食堂", "category": "community_canteen", "lon": 116.3481, "lat": 39.9986, "provider_code": P})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let week: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!(["11:00-13:00"])))
        .collect();
    let (st, v) = s.post(&admin, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "meal", "delivery": "outlet", "price_fen": 1500, "duration_min": 60, "capacity": 2, "plan": {"week": week}})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (worker_id, _) = s
        .user(
            &admin,
            "worker",
            "community_worker",
            json!({"community_id": C1}),
        )
        .await;
    s.user(
        &admin,
        "worker2",
        "community_worker",
        json!({"community_id": C2}),
    )
    .await;
    s.user(&admin, "resident", "resident", json!({})).await;
    let mut ids = vec![];
    for (c, name) in [(C1, "王秀英"), (C2, "赵德明")] {
        let (st, v) = s
            .post(
                &admin,
                "/api/residents",
                json!({"community_id": c, "name": name, "phone": "13700001234"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    // On the register since January, not visited in May: C1's visit rate is below target.
    let (st, v) = s.post(&admin, "/api/care/register", json!({"resident_id": ids[0], "categories": ["living_alone"], "since": "2026-01-01", "visitor_user_id": worker_id})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let w = World {
        admin,
        worker_id,
        mine: ids[0],
        other: ids[1],
    };
    worker_books_for_a_resident(s, &w).await;
    worker_resolves_a_warning(s, &w).await;
    admin_accounts(s, &w).await;
    admin_calendar_and_rules(s, &w).await;
    only_administrators(s).await;
}

async fn worker_books_for_a_resident(s: &TestServer, w: &World) {
    let mut b = Browser::new(s);
    b.login("worker", "password-123456").await;
    // The register page offers the people due a visit to book for; the residents' list holds
    // the worker's community only.
    let p = b.get("/worker").await;
    assert!(
        p.html
            .contains(&format!("href=\"/worker/proxy?resident={}\"", w.mine)),
        "{}",
        p.html
    );
    let p = b.get("/worker/residents").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains(&format!("data-resident=\"{}\"", w.mine)));
    assert!(
        !p.html.contains(&format!("data-resident=\"{}\"", w.other)),
        "{}",
        p.html
    );
    // Services near the resident's community by walking distance; the canteen links to its
    // proxy booking page for this resident.
    let p = b
        .get(&format!("/worker/proxy?resident={}&service=meal", w.mine))
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(
        p.html.contains("data-facility=\"CANTEEN\"") && p.html.contains("分钟"),
        "{}",
        p.html
    );
    let outlet = format!("/worker/proxy/CANTEEN?resident={}&service=meal", w.mine);
    assert!(p.html.contains(&outlet.replace('&', "&#38;")), "{}", p.html);
    let p = b.get(&outlet).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    for text in ["学院路长者食堂", "¥15.00", "电话同意", "6月10日 周三 11:00"] {
        assert!(p.html.contains(text), "{text}: {}", p.html);
    }
    let offering = input_value(&p.html, "action=\"/worker/proxy\"", "offering_id");
    let idem = input_value(&p.html, "action=\"/worker/proxy\"", "idem");
    let start = input_value(&p.html, "action=\"/worker/proxy\"", "start");
    assert_eq!(start, "2026-06-10T11:00:00+08:00");
    let form =
        |resident: i64, idem: &str, consent: &str, consent_note: &str| -> Vec<(String, String)> {
            [
                ("resident_id", resident.to_string().as_str()),
                ("offering_id", offering.as_str()),
                ("idem", idem),
                ("start", start.as_str()),
                ("consent", consent),
                ("consent_note", consent_note),
                ("note", "少盐"),
                ("back", outlet.as_str()),
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
        };
    // Without the consent the API refuses, in its words, and nothing is booked.
    let f = form(w.mine, "idem-no-consent", "", "");
    let (p, msg) = b.send_form("/worker/proxy", &pairs(&f)).await;
    assert!(msg.contains("consent"), "{msg}: {}", p.html);
    assert_eq!(api(s, &w.admin, "/api/bookings").await["total"], 0);
    // With it: booked on the resident's behalf, channel proxy, the consent stored.
    let f = form(w.mine, &idem, "phone", "10:05 电话确认");
    let (p, msg) = b.send_form("/worker/proxy", &pairs(&f)).await;
    assert_eq!(msg, "已为居民代办预约，等待服务点确认", "{}", p.html);
    let list = api(s, &w.admin, "/api/bookings").await;
    assert_eq!(list["total"], 1, "{list}");
    let booking = &list["items"][0];
    assert_eq!(
        (
            &booking["channel"],
            &booking["resident_id"],
            &booking["booked_by"],
            &booking["consent_method"],
            &booking["consent_note"],
            &booking["note"],
            &booking["status"]
        ),
        (
            &json!("proxy"),
            &json!(w.mine),
            &json!(w.worker_id),
            &json!("phone"),
            &json!("10:05 电话确认"),
            &json!("少盐"),
            &json!("requested")
        ),
        "{booking}"
    );
    let id = booking["id"].as_i64().unwrap();
    // The worker's list of proxy bookings shows it with the consent.
    assert!(
        p.html
            .contains(&format!("data-booking=\"{id}\" data-status=\"requested\""))
            && p.html.contains("电话同意")
            && p.html.contains("10:05 电话确认"),
        "{}",
        p.html
    );
    // Another community's resident: the page is refused, and a forged form books nothing.
    let p = b
        .get(&format!("/worker/proxy?resident={}&service=meal", w.other))
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.html);
    let f = form(w.other, "idem-other", "in_person", "");
    let (_, msg) = b.send_form("/worker/proxy", &pairs(&f)).await;
    assert!(msg.contains("无权"), "{msg}");
    assert_eq!(api(s, &w.admin, "/api/bookings").await["total"], 1);
    // Cancelled with a reason: the booking is cancelled and the reason is in its history.
    let (p, msg) = b
        .send_form(
            &format!("/worker/bookings/{id}/cancel"),
            &[("reason", "老人临时住院")],
        )
        .await;
    assert_eq!(msg, "代办预约已取消", "{}", p.html);
    assert!(p
        .html
        .contains(&format!("data-booking=\"{id}\" data-status=\"cancelled\"")));
    let b2 = api(s, &w.admin, &format!("/api/bookings/{id}")).await;
    assert_eq!(b2["status"], "cancelled", "{b2}");
    let events = api(s, &w.admin, &format!("/api/bookings/{id}/events")).await;
    assert!(events.to_string().contains("老人临时住院"), "{events}");
}

async fn worker_resolves_a_warning(s: &TestServer, w: &World) {
    let (st, v) = s.post(&w.admin, "/api/warnings/evaluate", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let all = api(s, &w.admin, "/api/warnings").await;
    let visit = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == json!("visit_rate_below_target"))
        .unwrap_or_else(|| panic!("{all}"))
        .clone();
    assert_eq!(
        (&visit["assignee"], &visit["subject_id"]),
        (&json!("community"), &json!(C1))
    );
    let id = visit["id"].as_i64().unwrap();
    // Another community's worker sees nothing of it and cannot resolve it.
    let mut other = Browser::new(s);
    other.login("worker2", "password-123456").await;
    let p = other.get("/worker/warnings").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(!p.html.contains("data-warning="), "{}", p.html);
    let (_, msg) = other
        .send_form(
            &format!("/worker/warnings/{id}/resolve"),
            &[("resolution", "不是我的")],
        )
        .await;
    assert!(msg.contains("无权"), "{msg}");
    // C1's worker: acknowledges, then resolves with what was done.
    let mut b = Browser::new(s);
    b.login("worker", "password-123456").await;
    let p = b.get("/worker/warnings").await;
    assert!(
        p.html
            .contains(&format!("data-warning=\"{id}\" data-status=\"open\""))
            && p.html.contains("探访率"),
        "{}",
        p.html
    );
    let (_, msg) = b
        .send_form(&format!("/worker/warnings/{id}/acknowledge"), &[])
        .await;
    assert_eq!(msg, "已接收预警");
    let (p, msg) = b
        .send_form(
            &format!("/worker/warnings/{id}/resolve"),
            &[("resolution", "6月9日已上门补访，今后每月第一周走访")],
        )
        .await;
    assert_eq!(msg, "预警已处置", "{}", p.html);
    assert!(p.html.contains("data-testid=\"no-warnings\""), "{}", p.html);
    let all = api(s, &w.admin, "/api/warnings?status=resolved").await;
    let done = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == json!(id))
        .unwrap_or_else(|| panic!("{all}"));
    assert_eq!(
        (&done["resolution"], done["acknowledged_at"].is_i64()),
        (&json!("6月9日已上门补访，今后每月第一周走访"), true),
        "{done}"
    );
}

async fn admin_accounts(s: &TestServer, w: &World) {
    let mut b = Browser::new(s);
    b.login("admin", common::ADMIN_PASSWORD).await;
    let p = b.get("/").await;
    assert!(p.html.contains("href=\"/admin\""), "{}", p.html);
    let p = b.get("/admin/users").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p
        .html
        .contains("data-username=\"worker\" data-role=\"community_worker\""));
    // A community worker needs a community: the API says so, nothing is made.
    let (_, msg) = b
        .send_form(
            "/admin/users",
            &[
                ("username", "clerk"),
                ("password", "first-password-1"),
                ("role", "community_worker"),
                ("community_id", ""),
            ],
        )
        .await;
    assert!(msg.contains("community_id"), "{msg}");
    assert_eq!(api(s, &w.admin, "/api/users?q=clerk").await["total"], 0);
    let (p, msg) = b
        .send_form(
            "/admin/users",
            &[
                ("username", "clerk"),
                ("display_name", "周晓"),
                ("password", "first-password-1"),
                ("role", "community_worker"),
                ("community_id", C2),
                ("provider_code", P),
            ],
        )
        .await;
    assert!(msg.starts_with("账户 clerk 已创建"), "{msg}");
    assert!(p.html.contains("data-username=\"clerk\""), "{}", p.html);
    let v = api(s, &w.admin, "/api/users?q=clerk").await;
    let clerk = &v["items"][0];
    assert_eq!(
        (
            &clerk["role"],
            &clerk["community_id"],
            &clerk["provider_code"],
            &clerk["display_name"]
        ),
        (
            &json!("community_worker"),
            &json!(C2),
            &Value::Null,
            &json!("周晓")
        ),
        "{v}"
    );
    let id = clerk["id"].as_i64().unwrap();
    let version = clerk["version"].to_string();
    // Six wrong passwords: the sixth is held back; the administrator ends the lock and the
    // right password works at once.
    for i in 0..6 {
        let r = s
            .client
            .post(format!("{}/api/auth/login", s.base))
            .json(&json!({"username": "clerk", "password": "wrong-password-x"}))
            .send()
            .await
            .unwrap();
        let want = if i < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status(), want, "attempt {i}");
    }
    let r = s
        .client
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({"username": "clerk", "password": "first-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let (_, msg) = b
        .send_form(
            &format!("/admin/users/{id}/unlock"),
            &[("back", "/admin/users?q=clerk")],
        )
        .await;
    assert!(msg.starts_with("已解除登录限制"), "{msg}");
    s.login("clerk", "first-password-1").await;
    // The role changes to regulator (the community link goes with it).
    let (_, msg) = b
        .send_form(
            &format!("/admin/users/{id}"),
            &[
                ("version", &version),
                ("role", "regulator"),
                ("community_id", C2),
                ("display_name", "周晓"),
                ("back", "/admin/users"),
            ],
        )
        .await;
    assert_eq!(msg, "账户 clerk 已更新：监管部门");
    let u = api(s, &w.admin, &format!("/api/users/{id}")).await;
    assert_eq!(
        (&u["role"], &u["community_id"], &u["disabled"]),
        (&json!("regulator"), &Value::Null, &json!(false)),
        "{u}"
    );
    // The same form again is stale (the version moved on): refused, nothing changes.
    let (_, msg) = b
        .send_form(
            &format!("/admin/users/{id}"),
            &[
                ("version", &version),
                ("role", "admin"),
                ("back", "/admin/users"),
            ],
        )
        .await;
    assert!(msg.contains("已被他人修改"), "{msg}");
    assert_eq!(
        api(s, &w.admin, &format!("/api/users/{id}")).await["role"],
        "regulator"
    );
    // Disabled: its sign-in is refused.
    let (_, msg) = b
        .send_form(
            &format!("/admin/users/{id}"),
            &[
                ("version", &u["version"].to_string()),
                ("role", "regulator"),
                ("disabled", "1"),
                ("back", "/admin/users"),
            ],
        )
        .await;
    assert!(msg.ends_with("已停用"), "{msg}");
    let r = s
        .client
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({"username": "clerk", "password": "first-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn admin_calendar_and_rules(s: &TestServer, w: &World) {
    let mut b = Browser::new(s);
    b.login("admin", common::ADMIN_PASSWORD).await;
    let p = b.get("/admin/calendar?year=2027").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("data-testid=\"no-days\""), "{}", p.html);
    // A local holiday, then changed into a working day, then removed.
    let (p, msg) = b
        .send_form(
            "/admin/calendar",
            &[
                ("day", "2027-02-17"),
                ("kind", "holiday"),
                ("works_as", "mon"),
                ("name", "春节（本地延长）"),
            ],
        )
        .await;
    assert_eq!(msg, "已保存 2027-02-17", "{}", p.html);
    assert!(p
        .html
        .contains("data-day=\"2027-02-17\" data-kind=\"holiday\""));
    let cal = api(s, &w.admin, "/api/calendar?year=2027").await;
    assert_eq!(
        cal,
        json!([{"day": "2027-02-17", "kind": "holiday", "works_as": null, "name": "春节（本地延长）"}])
    );
    let p = b.get("/admin/calendar?year=2027&edit=2027-02-17").await;
    assert!(
        p.html.contains("value=\"2027-02-17\" required"),
        "{}",
        p.html
    );
    let (_, msg) = b
        .send_form(
            "/admin/calendar",
            &[
                ("day", "2027-02-17"),
                ("kind", "workday"),
                ("works_as", "fri"),
                ("name", "调休上班"),
            ],
        )
        .await;
    assert_eq!(msg, "已保存 2027-02-17");
    let cal = api(s, &w.admin, "/api/calendar?year=2027").await;
    assert_eq!(
        (&cal[0]["kind"], &cal[0]["works_as"]),
        (&json!("workday"), &json!("fri")),
        "{cal}"
    );
    // The API's refusal of a bad day, in its words.
    let (_, msg) = b
        .send_form(
            "/admin/calendar",
            &[("day", "2027-02-30"), ("kind", "holiday"), ("name", "x")],
        )
        .await;
    assert!(msg.contains("date"), "{msg}");
    let (p, msg) = b.send_form("/admin/calendar/2027-02-17/delete", &[]).await;
    assert_eq!(msg, "已删除 2027-02-17", "{}", p.html);
    assert_eq!(api(s, &w.admin, "/api/calendar?year=2027").await, json!([]));

    // The review settings: the minimum for a public rating from 10 to 5, Sichuan's deadlines.
    let p = b.get("/admin/rules").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(
        p.html.contains("data-rule=\"visit_rate_below_target\"")
            && p.html.contains("data-testid=\"minimum\">10<"),
        "{}",
        p.html
    );
    let version = input_value(&p.html, "action=\"/admin/rules\"", "version");
    let (_, msg) = b
        .send_form(
            "/admin/rules",
            &[
                ("version", &version),
                ("jurisdiction", "sichuan"),
                ("minimum", "0"),
            ],
        )
        .await;
    assert!(msg.contains("minimum"), "{msg}");
    let (p, msg) = b
        .send_form(
            "/admin/rules",
            &[
                ("version", &version),
                ("jurisdiction", "sichuan"),
                ("minimum", "5"),
                ("rectify_days", ""),
                ("default_days", ""),
            ],
        )
        .await;
    assert_eq!(msg, "评价规则已保存", "{}", p.html);
    assert!(p.html.contains("data-testid=\"minimum\">5<"), "{}", p.html);
    let v = api(s, &w.admin, "/api/review-settings").await;
    assert_eq!(
        (
            &v["rules"]["minimum"],
            &v["rules"]["jurisdiction"],
            &v["version"]
        ),
        (&json!(5), &json!("sichuan"), &json!(1)),
        "{v}"
    );
    // A local rectification deadline on top, against the new version.
    let version = input_value(&p.html, "action=\"/admin/rules\"", "version");
    let (_, msg) = b
        .send_form(
            "/admin/rules",
            &[
                ("version", &version),
                ("jurisdiction", "sichuan"),
                ("minimum", "5"),
                ("rectify_days", "3"),
                ("rectify_unit", "working"),
            ],
        )
        .await;
    assert_eq!(msg, "评价规则已保存");
    let v = api(s, &w.admin, "/api/review-settings").await;
    assert_eq!(
        v["rules"]["rectify"],
        json!({"days": 3, "unit": "working"}),
        "{v}"
    );
    // A form made before that change is stale.
    let (_, msg) = b
        .send_form("/admin/rules", &[("version", "1"), ("minimum", "7")])
        .await;
    assert!(msg.contains("已被他人修改"), "{msg}");
    assert_eq!(
        api(s, &w.admin, "/api/review-settings").await["rules"]["minimum"],
        5
    );
}

async fn only_administrators(s: &TestServer) {
    let admin = s.admin().await;
    for (who, password) in [
        ("worker", "password-123456"),
        ("resident", "password-123456"),
    ] {
        let mut b = Browser::new(s);
        b.login(who, password).await;
        for path in ["/admin", "/admin/users", "/admin/calendar", "/admin/rules"] {
            let p = b.get(path).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{who} {path}: {}", p.html);
            assert!(p.html.contains("系统管理员"), "{}", p.html);
        }
        let p = b
            .post_csrf(
                "/admin/users",
                &[
                    ("username", "intruder"),
                    ("password", "first-password-1"),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let p = b
            .post_csrf(
                "/admin/calendar",
                &[("day", "2027-10-08"), ("kind", "holiday"), ("name", "x")],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(api(s, &admin, "/api/users?q=intruder").await["total"], 0);
    assert_eq!(api(s, &admin, "/api/calendar?year=2027").await, json!([]));
    // Nor does a resident reach the worker's pages.
    let mut b = Browser::new(s);
    b.login("resident", "password-123456").await;
    for path in ["/worker/residents", "/worker/bookings", "/worker/warnings"] {
        let p = b.get(path).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
    }
}

//! The web portal (issue 14) through its own forms, on the real server (SQLite and
//! PostgreSQL), with a cookie-keeping client that follows no redirect by itself: the pages a
//! resident, a provider and a community worker use, the one-time messages, the CSRF rule, the
//! preferences, and the API's refusals shown as pages. The browser journeys with axe-core are
//! `tools/portal-check`.

mod common;

use common::browser::{flash, input_value, Browser};
use common::{cau_network, set_clock, uscc, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
const C1: &str = "110108010031";

#[tokio::test]
async fn portal_on_sqlite() {
    let s = TestServer::start(common::Db::Sqlite, "portal")
        .await
        .unwrap();
    journeys(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn portal_on_postgres() {
    let Some(s) = TestServer::start(common::Db::Postgres, "portal").await else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the PostgreSQL tests"
        );
        return;
    };
    journeys(&s).await;
    s.stop().await;
}

async fn api(s: &TestServer, who: &Auth, path: &str) -> Value {
    let (st, v) = s.get(who, path).await;
    assert_eq!(st, StatusCode::OK, "{path}: {v}");
    v
}

async fn journeys(s: &TestServer) {
    set_clock(s, "2026-06-10T09:00:00+08:00");
    preferences_and_sign_in(s).await;

    // The world: a canteen of P offering lunch, its staff, a resident of C1 with an account, a
    // community worker of C1 with one person to visit.
    let admin = s.admin().await;
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": P, "name": "甲餐饮公司"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.post(&admin, "/api/facilities", json!({"id": "CANTEEN", "name": "学院路长者食堂", "category": "community_canteen", "lon": 116.348, "lat": 39.998, "provider_code": P, "opening_hours": "10:30-19:00"})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    s.user(
        &admin,
        "staff",
        "provider_staff",
        json!({"provider_code": P}),
    )
    .await;
    let (worker_id, _) = s
        .user(
            &admin,
            "worker",
            "community_worker",
            json!({"community_id": C1}),
        )
        .await;
    let (uid, _) = s.user(&admin, "resident", "resident", json!({})).await;
    let (st, v) = s
        .post(
            &admin,
            "/api/residents",
            json!({"community_id": C1, "name": "王秀英", "phone": "13700001234", "user_id": uid}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .post(
            &admin,
            "/api/residents",
            json!({"community_id": C1, "name": "李桂兰"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, entry) = s.post(&admin, "/api/care/register", json!({"resident_id": v["id"], "categories": ["living_alone"], "since": "2026-01-01", "visitor_user_id": worker_id})).await;
    assert_eq!(st, StatusCode::CREATED, "{entry}");
    let week: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!(["11:00-13:00"])))
        .collect();
    let (st, v) = s.post(&admin, "/api/offerings", json!({"facility_id": "CANTEEN", "service": "meal", "delivery": "outlet", "price_fen": 1500, "subsidy_cap_fen": 500, "duration_min": 60, "capacity": 1, "plan": {"week": week}})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    let booking = resident_books(s).await;
    provider_serves(s, booking).await;
    resident_rates(s, booking).await;
    worker_visits(s, entry["id"].as_i64().unwrap()).await;
}

async fn preferences_and_sign_in(s: &TestServer) {
    let mut b = Browser::new(s);
    let p = b.get("/").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("<html lang=\"zh-CN\">"), "{}", p.html);
    assert!(p.html.contains("长辈版") && p.html.contains(">English<"));
    // English, then elder mode; each choice comes back to the page it was made on.
    let p = b
        .get("/prefs?lang=en&back=%2Fnearby%3Fservice%3Dmeal")
        .await;
    assert_eq!(
        (p.status, p.location.as_str()),
        (StatusCode::SEE_OTHER, "/nearby?service=meal")
    );
    let p = b.get("/prefs?elder=1&back=%2F").await;
    let p = b.follow(p).await;
    assert!(
        p.html.contains("<html lang=\"en\" class=\"elder\">"),
        "{}",
        &p.html[..200]
    );
    assert!(p.html.contains("Sign in") && p.html.contains("Standard view"));
    // Never back to another site.
    let p = b.get("/prefs?lang=zh&back=%2F%2Fevil.example%2F").await;
    assert_eq!(p.location, "/");
    let p = b.get("/prefs?elder=0&back=https://evil.example/").await;
    assert_eq!(p.location, "/");
    assert!(!b.cookies.contains_key("lc_lang") && !b.cookies.contains_key("lc_elder"));

    // Pages that need an account send to the login page and come back.
    let p = b.get("/my/bookings").await;
    assert_eq!(
        (p.status, p.location.as_str()),
        (StatusCode::SEE_OTHER, "/login?next=%2Fmy%2Fbookings")
    );
    // A wrong password: the API's message on the login page, no session.
    let p = b
        .post(
            "/login",
            &[
                ("username", "admin"),
                ("password", "wrong-password"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.html.contains("data-testid=\"login-error\""), "{}", p.html);
    assert!(!b.cookies.contains_key("lc_session"));
    // Signed in, the page names the account; a login's `next` never leaves the site.
    let p = b
        .post(
            "/login",
            &[
                ("username", "admin"),
                ("password", common::ADMIN_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(
        (p.status, p.location.as_str()),
        (StatusCode::SEE_OTHER, "/")
    );
    let p = b.get("/").await;
    assert!(p.html.contains("系统管理员 Administrator"), "{}", p.html);
    // Signing out needs the form's token; then the session is gone at the API too.
    let session = b.cookies["lc_session"].clone();
    let p = b.post("/logout", &[("_csrf", "0000")]).await;
    let p = b.follow(p).await;
    assert!(flash(&p.html).contains("页面已过期"), "{}", p.html);
    let csrf = b.csrf();
    let p = b.post("/logout", &[("_csrf", &csrf)]).await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "您已安全退出");
    assert!(!b.cookies.contains_key("lc_session") && !b.cookies.contains_key("lc_csrf"));
    let (st, _) = s
        .get(
            &Auth::Session {
                cookie: session,
                csrf,
            },
            "/api/auth/me",
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // The one-time message is shown once.
    let p = b.get("/").await;
    assert_eq!(flash(&p.html), "");
}

/// The resident books lunch at the canteen from its page; returns the booking id.
async fn resident_books(s: &TestServer) -> i64 {
    let mut b = Browser::new(s);
    b.login("resident", "password-123456").await;
    // Without a walking network the nearby search says so, in the API's words.
    let p = b.get("/nearby?service=meal").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.html.contains("data-testid=\"nearby-error\""),
        "{}",
        p.html
    );
    // The outlet: its service, price, subsidy, rating, free slots, the booking form.
    let p = b.get("/outlets/CANTEEN?service=meal").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    for text in [
        "学院路长者食堂",
        "助餐",
        "¥15.00",
        "¥5.00",
        "10:30-19:00",
        "暂无评价",
    ] {
        assert!(p.html.contains(text), "{text}: {}", p.html);
    }
    // Today 11:00 (Wednesday) is the first free slot.
    let first = p.html.find("name=\"start\" value=\"").unwrap();
    let first = &p.html[first + 20..];
    let first = first[..first.find('"').unwrap()].to_string();
    assert_eq!(first, "2026-06-10T11:00:00+08:00");
    assert!(p.html.contains("6月10日 周三 11:00"), "{}", p.html);
    let offering = input_value(&p.html, "action=\"/book\"", "offering_id");
    let idem = input_value(&p.html, "action=\"/book\"", "idem");
    let form = |csrf: &str| -> Vec<(String, String)> {
        vec![
            ("_csrf".into(), csrf.into()),
            ("offering_id".into(), offering.clone()),
            ("idem".into(), idem.clone()),
            ("start".into(), first.clone()),
            ("note".into(), "少盐".into()),
            ("back".into(), "/outlets/CANTEEN?service=meal".into()),
        ]
    };
    let pairs = |v: &[(String, String)]| -> Vec<(String, String)> { v.to_vec() };
    // A form without this session's token is refused and books nothing.
    let f = pairs(&form("forged"));
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = b.post("/book", &f).await;
    assert_eq!(p.location, "/outlets/CANTEEN?service=meal");
    let p = b.follow(p).await;
    assert!(flash(&p.html).contains("页面已过期"), "{}", p.html);
    let admin = s.admin().await;
    assert_eq!(api(s, &admin, "/api/bookings").await["total"], 0);
    // Booked; the same form sent twice is one booking.
    let csrf = b.csrf();
    let f = pairs(&form(&csrf));
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = b.post("/book", &f).await;
    assert_eq!(p.location, "/my/bookings");
    let again = b.post("/book", &f).await;
    assert_eq!(again.location, "/my/bookings");
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "预约已提交，等待服务点确认");
    assert!(p.html.contains("data-status=\"requested\""), "{}", p.html);
    // No subsidy entitlement: the resident pays the full price.
    assert!(
        p.html.contains("待确认") && p.html.contains("自付 ¥15.00"),
        "{}",
        p.html
    );
    let list = api(s, &admin, "/api/bookings").await;
    assert_eq!(list["total"], 1, "{list}");
    let id = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(list["items"][0]["note"], "少盐");
    // The API's refusal in its own words: the slot has one seat, now taken.
    let csrf = b.csrf();
    let p = b
        .post(
            "/book",
            &[
                ("_csrf", &csrf),
                ("offering_id", &offering),
                ("idem", "another-key"),
                ("start", &first),
                ("back", "/outlets/CANTEEN"),
            ],
        )
        .await;
    let p = b.follow(p).await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    assert!(!flash(&p.html).is_empty());
    assert_eq!(api(s, &admin, "/api/bookings").await["total"], 1);
    // Another slot booked, then cancelled with a reason from the list: the reason reaches the
    // booking's history.
    let p = b.get("/outlets/CANTEEN?service=meal").await;
    let second = p
        .html
        .match_indices("name=\"start\" value=\"")
        .map(|(i, m)| &p.html[i + m.len()..])
        .map(|r| r[..r.find('"').unwrap()].to_string())
        .find(|v| *v != first)
        .expect("a second free slot");
    let csrf = b.csrf();
    let p = b
        .post(
            "/book",
            &[
                ("_csrf", &csrf),
                ("offering_id", &offering),
                ("idem", "second-booking"),
                ("start", &second),
                ("back", "/outlets/CANTEEN"),
            ],
        )
        .await;
    assert_eq!(p.location, "/my/bookings");
    let p = b.follow(p).await;
    assert!(p.html.contains("取消原因"), "{}", p.html);
    let list = api(s, &admin, "/api/bookings").await;
    assert_eq!(list["total"], 2, "{list}");
    let other = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .find(|b| *b != id)
        .unwrap();
    let p = b
        .post(
            &format!("/my/bookings/{other}/cancel"),
            &[("_csrf", &csrf), ("reason", "身体不适")],
        )
        .await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "预约已取消", "{}", p.html);
    let events = api(s, &admin, &format!("/api/bookings/{other}/events")).await;
    let cancelled = events
        .as_array()
        .or(events["items"].as_array())
        .unwrap()
        .iter()
        .find(|e| e["to_status"] == "cancelled")
        .cloned()
        .unwrap_or_else(|| panic!("no cancellation in {events}"));
    assert!(
        cancelled["detail"]
            .to_string()
            .contains("身体不适 Not feeling well"),
        "{cancelled}"
    );
    // A resident is not a provider: the page says who it is for.
    let p = b.get("/provider/bookings").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.html.contains("服务机构"), "{}", p.html);
    id
}

async fn provider_serves(s: &TestServer, id: i64) {
    let mut b = Browser::new(s);
    b.login("staff", "password-123456").await;
    let p = b.get("/provider/bookings").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.html
            .contains(&format!("data-booking=\"{id}\" data-status=\"requested\"")),
        "{}",
        p.html
    );
    assert!(p.html.contains("少盐"));
    let csrf = b.csrf();
    for (action, at, status, msg) in [
        (
            "confirm",
            "2026-06-10T09:05:00+08:00",
            "confirmed",
            "已确认预约",
        ),
        (
            "start",
            "2026-06-10T10:50:00+08:00",
            "in_service",
            "已开始服务",
        ),
        (
            "complete",
            "2026-06-10T11:55:00+08:00",
            "completed",
            "服务已完成",
        ),
    ] {
        set_clock(s, at);
        let p = b
            .post(
                &format!("/provider/bookings/{id}/{action}"),
                &[("_csrf", &csrf)],
            )
            .await;
        let p = b.follow(p).await;
        assert_eq!(flash(&p.html), format!("{msg}（#{id}）"), "{}", p.html);
        let admin = s.admin().await;
        assert_eq!(
            api(s, &admin, &format!("/api/bookings/{id}")).await["status"],
            status
        );
    }
    // An action the booking's state does not allow: the API's refusal, nothing changes.
    let p = b
        .post(
            &format!("/provider/bookings/{id}/confirm"),
            &[("_csrf", &csrf)],
        )
        .await;
    let p = b.follow(p).await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    let p = b
        .post(
            &format!("/provider/bookings/{id}/teleport"),
            &[("_csrf", &csrf)],
        )
        .await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "未知的操作");
}

async fn resident_rates(s: &TestServer, id: i64) {
    set_clock(s, "2026-06-10T13:00:00+08:00");
    let mut b = Browser::new(s);
    b.login("resident", "password-123456").await;
    let p = b.get("/my/bookings").await;
    assert!(p.html.contains("data-status=\"completed\""), "{}", p.html);
    assert!(p.html.contains(&format!("/my/bookings/{id}/rate")));
    let p = b.get(&format!("/my/bookings/{id}/rate")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("非常满意") && p.html.contains("学院路长者食堂"));
    let csrf = b.csrf();
    // No level chosen: asked again, nothing stored.
    let p = b
        .post(
            &format!("/my/bookings/{id}/rate"),
            &[("_csrf", &csrf), ("text", "好")],
        )
        .await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "请选择满意程度");
    let p = b
        .post(
            &format!("/my/bookings/{id}/rate"),
            &[
                ("_csrf", &csrf),
                ("level", "satisfied"),
                ("text", "饭菜可口"),
            ],
        )
        .await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "感谢您的评价");
    assert!(p.html.contains("已评价"), "{}", p.html);
    let admin = s.admin().await;
    let reviews = api(s, &admin, "/api/reviews").await;
    assert_eq!(reviews["total"], 1, "{reviews}");
    assert_eq!(reviews["items"][0]["subject_id"].as_i64(), Some(id));
    // A second rating of the same service is the API's refusal.
    let p = b
        .post(
            &format!("/my/bookings/{id}/rate"),
            &[("_csrf", &csrf), ("level", "basic")],
        )
        .await;
    let p = b.follow(p).await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    assert_eq!(api(s, &admin, "/api/reviews").await["total"], 1);
}

async fn worker_visits(s: &TestServer, entry: i64) {
    let mut b = Browser::new(s);
    b.login("worker", "password-123456").await;
    let p = b.get("/worker").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(
        p.html
            .contains(&format!("data-register=\"{entry}\" data-visited=\"false\"")),
        "{}",
        p.html
    );
    // Names are masked as the API masks them.
    assert!(!p.html.contains("李桂兰"), "{}", p.html);
    let p = b
        .get(&format!("/worker/visits/new?register_id={entry}"))
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    let csrf = b.csrf();
    let entry_s = entry.to_string();
    let visit = |end: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("register_id", entry_s.clone()),
            ("mode", "home".to_string()),
            ("date", "2026-06-10".to_string()),
            ("start", "09:30".to_string()),
            ("end", end.to_string()),
            ("place", "家中".to_string()),
            ("outcome", "身体尚可".to_string()),
            ("need", "想订午餐".to_string()),
        ]
    };
    // An end before the start: the API's refusal on the form's page, nothing stored.
    let f = visit("09:00");
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let p = b.post("/worker/visits/new", &f).await;
    assert_eq!(
        p.location,
        format!("/worker/visits/new?register_id={entry}")
    );
    let p = b.follow(p).await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    let f = visit("10:00");
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let p = b.post("/worker/visits/new", &f).await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "走访记录已保存", "{}", p.html);
    assert!(
        p.html
            .contains(&format!("data-register=\"{entry}\" data-visited=\"true\"")),
        "{}",
        p.html
    );
    let admin = s.admin().await;
    let visits = api(s, &admin, "/api/care/visits").await;
    assert_eq!(visits["total"], 1, "{visits}");
    // Lists mask it; the record itself holds what the form said.
    let one = api(
        s,
        &admin,
        &format!("/api/care/visits/{}", visits["items"][0]["id"]),
    )
    .await;
    assert_eq!(
        (&one["outcome"], &one["mode"]),
        (&json!("身体尚可"), &json!("home")),
        "{one}"
    );
}

#[tokio::test]
async fn planner_on_sqlite() {
    let s =
        TestServer::start_with_network(common::Db::Sqlite, "portal_planner", Some(cau_network()))
            .await
            .unwrap();
    planner(&s).await;
    s.stop().await;
}

/// Runs the job page until the job ends; the run it stored.
async fn run_from_the_page(b: &mut Browser<'_>, label: &str) -> i64 {
    let csrf = b.csrf();
    let p = b
        .post("/planner/runs", &[("_csrf", &csrf), ("label", label)])
        .await;
    assert!(p.location.starts_with("/planner/jobs/"), "{}", p.location);
    let job = p.location.clone();
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "评估已开始");
    for _ in 0..600 {
        let p = b.get(&job).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.html);
        if p.html.contains("data-status=\"done\"") {
            assert!(p.html.contains("value=\"100\""), "{}", p.html);
            let at = p.html.find("/planner?run=").unwrap();
            let rest = &p.html[at + 13..];
            return rest[..rest.find('"').unwrap()].parse().unwrap();
        }
        // While it runs, the page asks the browser to come back.
        assert!(p.html.contains("data-poll="), "{}", p.html);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the run did not end");
}

async fn planner(s: &TestServer) {
    // The road layer is drawn from the network: every segment once, gzip-compressed when asked.
    let plain = s
        .client
        .get(format!("{}/static/roads.svg", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["content-type"], "image/svg+xml");
    let plain = plain.text().await.unwrap();
    assert!(
        plain.starts_with("<svg") && plain.matches('M').count() > 100,
        "{}",
        &plain[..200]
    );
    let gz = s
        .client
        .get(format!("{}/static/roads.svg", s.base))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz = gz.bytes().await.unwrap();
    assert!(gz.starts_with(&[0x1f, 0x8b]) && gz.len() * 2 < plain.len());

    let mut b = Browser::new(s);
    // Before any run: the page says so; starting one needs a regulator or an administrator.
    let p = b.get("/planner").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("data-testid=\"no-runs\""), "{}", p.html);
    assert!(!p.html.contains("start-run"));
    b.login("admin", common::ADMIN_PASSWORD).await;
    let p = b.get("/planner").await;
    assert!(p.html.contains("data-testid=\"start-run\""), "{}", p.html);
    let first = run_from_the_page(&mut b, "第一次评估").await;
    // The run as a map (one dot per community of the seed) and the targets table.
    let p = b.get(&format!("/planner?run={first}")).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    let admin = s.admin().await;
    let view = api(s, &admin, &format!("/api/assessments/{first}/communities")).await;
    let n = view["communities"].as_array().unwrap().len();
    assert!(n >= 9, "{view}");
    let dots = p.html.matches("<g class=\"mk mk-").count();
    assert_eq!(dots, n, "one dot per community");
    assert!(p.html.contains("第一次评估"));
    assert!(p.html.contains("data-testid=\"indicators\""));
    assert!(p.html.contains("<tr data-met="), "{}", p.html);
    // A canteen at 富润 (C1), a second run, the comparison shows C1 lacking less.
    let (st, v) = s.post(&admin, "/api/facilities", json!({"id": "NEW-CANTEEN", "name": "富润社区食堂", "category": "community_canteen", "lon": 116.3481, "lat": 39.9986})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let second = run_from_the_page(&mut b, "第二次评估").await;
    assert!(second > first);
    let p = b.get(&format!("/planner?run={second}")).await;
    assert!(
        p.html
            .contains(&format!("/planner/compare?a={first}&amp;b={second}")),
        "{}",
        p.html
    );
    let p = b
        .get(&format!("/planner/compare?a={first}&b={second}"))
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("第一次评估") && p.html.contains("第二次评估"));
    assert!(
        p.html.contains("data-testid=\"compare-communities\""),
        "{}",
        p.html
    );
    assert!(p.html.contains("富润"), "{}", p.html);
    // A resident reads the map but cannot start a run.
    let (uid, _) = s
        .user(&admin, "planner-reader", "resident", json!({}))
        .await;
    let _ = uid;
    let mut r = Browser::new(s);
    r.login("planner-reader", "password-123456").await;
    let p = r.get("/planner").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.html.contains("start-run"));
    let csrf = r.csrf();
    let p = r.post("/planner/runs", &[("_csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn regulator_on_sqlite() {
    let s = TestServer::start(common::Db::Sqlite, "portal_regulator")
        .await
        .unwrap();
    regulator(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn regulator_on_postgres() {
    let Some(s) = TestServer::start(common::Db::Postgres, "portal_regulator").await else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the PostgreSQL tests"
        );
        return;
    };
    regulator(&s).await;
    s.stop().await;
}

/// A 双随机 spot check through the regulator's pages: announced with the seed's commitment
/// made from the secret (no JavaScript here), drawn, replayed by the page, results recorded,
/// published.
async fn regulator(s: &TestServer) {
    set_clock(s, "2026-06-10T09:00:00+08:00");
    let admin = s.admin().await;
    s.user(&admin, "regulator", "regulator", json!({})).await;
    for p in 0..3u32 {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": uscc(p), "name": format!("第{p}助餐公司")}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (st, v) = s.post(&admin, "/api/facilities", json!({"id": format!("F{p}"), "name": format!("第{p}助餐点"), "category": "community_canteen", "lon": 116.348, "lat": 39.998, "provider_code": uscc(p), "division_code": "110108010001"})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = s.post(&admin, "/api/check-items", json!({"code": "SP-01", "name": "食品安全管理制度落实情况", "kind": "key", "qualifications": ["食品安全"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    for i in 1..=4 {
        let (st, v) = s.post(&admin, "/api/inspectors", json!({"code": format!("I{i}"), "name": format!("检查员{i}"), "department": "海淀区市场监督管理局", "qualifications": ["食品安全"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let mut b = Browser::new(s);
    b.login("regulator", "password-123456").await;
    let p = b.get("/regulator/spot-checks").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("value=\"SP-01\""), "{}", p.html);
    let csrf = b.csrf();
    const SECRET: &str = "a secret of at least sixteen";
    let p = b
        .post(
            "/regulator/spot-checks",
            &[
                ("_csrf", csrf.as_str()),
                ("seed_commitment", ""),
                ("label", "社区助餐点双随机抽查"),
                ("categories", "community_canteen"),
                ("division_code", "110108010"),
                ("check_items", "SP-01"),
                ("secret", SECRET),
                ("public_value_sources", "福利彩票3D 第2026150期"),
                ("draw_on", "2026-06-10"),
            ],
        )
        .await;
    assert!(
        p.location.starts_with("/regulator/spot-checks/"),
        "{}",
        p.location
    );
    let page = p.location.clone();
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let p = b.follow(p).await;
    assert!(flash(&p.html).contains("检查对象 3 个"), "{}", p.html);
    assert!(p.html.contains("data-status=\"announced\""));
    // The commitment is the secret's, the secret itself is stored nowhere.
    let regulator_api = s.admin().await;
    let v = api(s, &regulator_api, &format!("/api/spot-checks/{id}")).await;
    assert_eq!(
        v["seed_commitment"],
        json!(lc_credit::draw::commitment(SECRET))
    );
    assert!(!v.to_string().contains(SECRET));
    // A wrong secret is the API's refusal; the right one draws.
    let draw = |reveal: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("reveal", reveal.to_string()),
            ("source", "福利彩票3D 第2026150期".to_string()),
            ("value", "5 0 8".to_string()),
        ]
    };
    let f = draw("not the secret at all, no");
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let p = b.post(&format!("{page}/draw"), &f).await;
    let p = b.follow(p).await;
    assert!(
        p.html.contains("flash-error") && p.html.contains("data-status=\"announced\""),
        "{}",
        p.html
    );
    let f = draw(SECRET);
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let p = b.post(&format!("{page}/draw"), &f).await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "已完成抽取", "{}", p.html);
    // Redrawn before any result, with a reason and a new secret: this check is superseded
    // (its page links to the new one) and the new one is announced with the new commitment.
    assert!(p.html.contains("data-testid=\"redraw-form\""), "{}", p.html);
    const SECRET2: &str = "another secret of sixteen or more";
    let p = b
        .post(
            &format!("{page}/redraw"),
            &[
                ("_csrf", csrf.as_str()),
                ("seed_commitment", ""),
                ("reason", "检查人员回避：名录库信息有误"),
                ("secret", SECRET2),
                ("public_value_sources", "福利彩票3D 第2026151期"),
                ("draw_on", "2026-06-10"),
            ],
        )
        .await;
    let old_page = page.clone();
    let page = p.location.clone();
    assert!(
        page.starts_with("/regulator/spot-checks/") && page != old_page,
        "{page}"
    );
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let p = b.follow(p).await;
    assert!(flash(&p.html).contains("已重新公告抽查"), "{}", p.html);
    assert!(
        p.html.contains("data-status=\"announced\"") && p.html.contains("检查人员回避"),
        "{}",
        p.html
    );
    let v = api(s, &regulator_api, &format!("/api/spot-checks/{id}")).await;
    assert_eq!(
        v["seed_commitment"],
        json!(lc_credit::draw::commitment(SECRET2))
    );
    let old = b.get(&old_page).await;
    assert!(
        old.html.contains("data-status=\"superseded\"")
            && old
                .html
                .contains(&format!("href=\"{page}\" data-testid=\"superseded-by\"")),
        "{}",
        old.html
    );
    let f = vec![
        ("_csrf", csrf.as_str()),
        ("reveal", SECRET2),
        ("source", "福利彩票3D 第2026151期"),
        ("value", "1 9 4"),
    ];
    let p = b.post(&format!("{page}/draw"), &f).await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "已完成抽取", "{}", p.html);
    // The page replays the draw from its manifest against what was announced.
    assert!(p.html.contains("data-verified=\"true\""), "{}", p.html);
    let objects: Vec<String> = p
        .html
        .match_indices("data-testid=\"result-row\" data-object=\"")
        .map(|(i, m)| {
            let rest = &p.html[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    assert!(!objects.is_empty(), "{}", p.html);
    // Publishing before every result is in: the API refuses.
    let p = b
        .post(&format!("{page}/publish"), &[("_csrf", &csrf)])
        .await;
    let p = b.follow(p).await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    for o in &objects {
        let p = b
            .post(
                &format!("{page}/results"),
                &[
                    ("_csrf", csrf.as_str()),
                    ("object_id", o.as_str()),
                    ("outcome", "no_problem"),
                    ("checked_on", "2026-06-10"),
                    ("findings", ""),
                    ("rectification_due", ""),
                ],
            )
            .await;
        let p = b.follow(p).await;
        assert_eq!(flash(&p.html), "检查结果已录入", "{}", p.html);
    }
    let p = b
        .post(&format!("{page}/publish"), &[("_csrf", &csrf)])
        .await;
    let p = b.follow(p).await;
    assert_eq!(flash(&p.html), "抽查结果已公示", "{}", p.html);
    assert!(p.html.contains("data-status=\"published\""), "{}", p.html);
    let v = api(s, &regulator_api, &format!("/api/spot-checks/{id}")).await;
    assert_eq!(v["status"], "published");
    // A resident is refused the regulator's pages.
    let (_, _) = s.user(&admin, "someone", "resident", json!({})).await;
    let mut r = Browser::new(s);
    r.login("someone", "password-123456").await;
    assert_eq!(r.get(&page).await.status, StatusCode::FORBIDDEN);
}

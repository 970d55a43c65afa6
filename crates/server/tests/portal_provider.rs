//! The web portal's provider pages (issue 14, item 4) through their own forms, on the real
//! server (SQLite and PostgreSQL), with a cookie-keeping client that follows no redirect by
//! itself: a provider's outlets and catalogue (an offering added, its price changed against its
//! version, its slots), its reviews and the 差评 case it handles to the reported fix, its credit
//! records and never its credit-risk class; another provider's records refused or absent.

mod common;

use common::browser::{flash, Browser};
use common::{set_clock, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";
const C1: &str = "110108010031";

/// Whether a page shows a credit-risk class (分级分类): the regulator's credit page does (the
/// control below), a provider's pages never may.
fn shows_class(html: &str) -> bool {
    let lower = html.to_lowercase();
    [
        "风险分类",
        "分级分类",
        "risk class",
        "risk_class",
        "credit-risk",
        "/api/credit/classes",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

#[tokio::test]
async fn provider_pages_on_sqlite() {
    let s = TestServer::start(common::Db::Sqlite, "portal_provider")
        .await
        .unwrap();
    provider_pages(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn provider_pages_on_postgres() {
    let Some(s) = TestServer::start(common::Db::Postgres, "portal_provider").await else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the PostgreSQL tests"
        );
        return;
    };
    provider_pages(&s).await;
    s.stop().await;
}

async fn api(s: &TestServer, who: &Auth, path: &str) -> Value {
    let (st, v) = s.get(who, path).await;
    assert_eq!(st, StatusCode::OK, "{path}: {v}");
    v
}

/// The same-origin week plan for every day: `11:00-13:00`.
fn week_form(hours: &str) -> Vec<(String, String)> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (format!("week_{d}"), hours.to_string()))
        .collect()
}

async fn provider_pages(s: &TestServer) {
    set_clock(s, "2026-06-10T09:00:00+08:00");
    let admin = s.admin().await;
    for (code, name) in [(P, "甲餐饮公司"), (Q, "乙餐饮公司")] {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": code, "name": name}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    for (id, name, code) in [
        ("CANTEEN", "学院路长者食堂", P),
        ("OTHER", "乙公司助餐点", Q),
    ] {
        let (st, v) = s.post(&admin, "/api/facilities", json!({"id": id, "name": name, "category": "community_canteen", "lon": 116.348, "lat": 39.998, "provider_code": code, "address": "学院路 1 号"})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    s.user(
        &admin,
        "staff",
        "provider_staff",
        json!({"provider_code": P}),
    )
    .await;
    s.user(
        &admin,
        "other-staff",
        "provider_staff",
        json!({"provider_code": Q}),
    )
    .await;
    let (uid, resident) = s.user(&admin, "resident", "resident", json!({})).await;
    let (st, v) = s
        .post(
            &admin,
            "/api/residents",
            json!({"community_id": C1, "name": "王秀英", "phone": "13700001234", "user_id": uid}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    let mut seen = Vec::new();
    let offering = catalogue(s, &mut seen).await;
    let case = bad_review(s, &resident, offering).await;
    cases(s, case, &mut seen).await;
    credit(s, &mut seen).await;
    // Never the class, on any page the provider saw.
    assert!(seen.len() >= 8, "{}", seen.len());
    for (path, html) in &seen {
        assert!(!shows_class(html), "{path} shows a credit class: {html}");
    }
}

/// Outlets, the catalogue, an offering added and changed, its slots. Returns its id.
async fn catalogue(s: &TestServer, seen: &mut Vec<(String, String)>) -> i64 {
    let admin = s.admin().await;
    let mut b = Browser::new(s);
    b.login("staff", "password-123456").await;
    // The home page and the menu lead to the provider's pages.
    let p = b.get("/").await;
    for link in [
        "href=\"/provider\"",
        "href=\"/provider/bookings\"",
        "href=\"/provider/reviews\"",
        "href=\"/provider/credit\"",
    ] {
        assert!(p.html.contains(link), "{link}: {}", p.html);
    }
    // The outlets: the provider's own, not another's.
    let p = b.get("/provider").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("data-outlet=\"CANTEEN\""), "{}", p.html);
    assert!(p.html.contains("学院路长者食堂") && p.html.contains("甲餐饮公司"));
    assert!(!p.html.contains("OTHER") && !p.html.contains("乙公司助餐点"));
    seen.push(("/provider".into(), p.html));
    let p = b.get("/provider/outlets/CANTEEN").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("<option value=\"meal\">"), "{}", p.html);
    assert!(p.html.contains("data-testid=\"add-offering\""));
    seen.push(("/provider/outlets/CANTEEN".into(), p.html));

    // Adding a meal service: a price that is no amount is the page's refusal, hours the API
    // cannot read its refusal; neither stores anything.
    let add = |price: &str, hours: &str| -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = [
            ("service", "meal"),
            ("delivery", "outlet"),
            ("price", price),
            ("subsidy_cap", "5"),
            ("duration_min", "60"),
            ("capacity", "2"),
            ("min_notice_min", "0"),
            ("cancel_notice_min", "120"),
            ("horizon_days", "14"),
            ("home_area_m", ""),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        f.extend(week_form(hours));
        f
    };
    let back = "/provider/outlets/CANTEEN";
    for (price, hours, says) in [
        ("十五元", "11:00-13:00", "价格应为金额"),
        ("15", "13:00-11:00", ""),
    ] {
        let f = add(price, hours);
        let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let p = b
            .submit("/provider/outlets/CANTEEN/offerings", back, &f)
            .await;
        assert!(p.html.contains("flash-error"), "{}", p.html);
        assert!(flash(&p.html).contains(says), "{}", flash(&p.html));
        assert_eq!(
            api(s, &admin, "/api/offerings?facility_id=CANTEEN").await["total"],
            0
        );
    }
    let f = add("15", "11:00-13:00");
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = b
        .submit("/provider/outlets/CANTEEN/offerings", back, &f)
        .await;
    assert!(
        flash(&p.html).starts_with("已新增服务项目：助餐"),
        "{}",
        p.html
    );
    let list = api(s, &admin, "/api/offerings?facility_id=CANTEEN").await;
    assert_eq!(list["total"], 1, "{list}");
    let o = &list["items"][0];
    let id = o["id"].as_i64().unwrap();
    assert_eq!(
        (
            &o["price_fen"],
            &o["subsidy_cap_fen"],
            &o["capacity"],
            &o["provider_code"]
        ),
        (&json!(1500), &json!(500), &json!(2), &json!(P)),
        "{o}"
    );
    assert_eq!(o["plan"]["week"]["wed"], json!(["11:00-13:00"]), "{o}");
    assert_eq!(o["plan"]["holidays"], json!("observe"));
    assert!(
        p.html
            .contains(&format!("data-offering=\"{id}\" data-price-fen=\"1500\"")),
        "{}",
        p.html
    );
    assert!(p.html.contains("¥15.00") && p.html.contains("¥5.00"));

    // The offering's page: its slots of the next days (today, a Wednesday, from 11:00).
    let page = format!("/provider/offerings/{id}");
    let p = b.get(&page).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("data-version=\"0\""), "{}", p.html);
    assert!(p.html.contains("data-date=\"2026-06-10\""), "{}", p.html);
    assert!(p.html.contains("6月10日 周三"));
    assert!(p.html.contains("11:00–12:00") && p.html.contains("12:00–13:00"));
    assert_eq!(p.html.matches("data-testid=\"slot\"").count(), 7 * 2);
    assert!(p.html.contains("value=\"11:00-13:00\""), "{}", p.html);
    seen.push((page.clone(), p.html));

    // A new price against the version the page showed; the same form again is refused (the
    // offering changed since) and changes nothing.
    let edit = |version: &str, price: &str| -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = [
            ("version", version),
            ("price", price),
            ("subsidy_cap", "5.00"),
            ("duration_min", "60"),
            ("capacity", "2"),
            ("min_notice_min", "0"),
            ("cancel_notice_min", "120"),
            ("horizon_days", "14"),
            ("active", "1"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        f.extend(week_form("11:00-13:00"));
        f
    };
    let f = edit("0", "18.5");
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = b.submit(&page, &page, &f).await;
    assert_eq!(
        flash(&p.html),
        format!("服务项目已保存：助餐（#{id}）"),
        "{}",
        p.html
    );
    let o = api(s, &admin, &format!("/api/offerings/{id}")).await;
    assert_eq!((&o["price_fen"], &o["version"]), (&json!(1850), &json!(1)));
    assert!(p.html.contains("¥18.50") && p.html.contains("data-version=\"1\""));
    let f = edit("0", "9");
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = b.submit(&page, &page, &f).await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    assert_eq!(
        api(s, &admin, &format!("/api/offerings/{id}")).await["price_fen"],
        1850
    );
    // A form without this session's token changes nothing.
    let p = b
        .post(
            &page,
            &[("_csrf", "forged"), ("version", "1"), ("price", "1")],
        )
        .await;
    assert_eq!(p.location, page);
    let p = b.get(&page).await;
    assert!(flash(&p.html).contains("页面已过期"), "{}", p.html);

    // Another provider's staff: its own outlet only; this one's pages and forms refused.
    let mut other = Browser::new(s);
    other.login("other-staff", "password-123456").await;
    let p = other.get("/provider").await;
    assert!(p.html.contains("data-outlet=\"OTHER\""), "{}", p.html);
    assert!(!p.html.contains("data-outlet=\"CANTEEN\""));
    assert_eq!(
        other.get("/provider/outlets/CANTEEN").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(other.get(&page).await.status, StatusCode::FORBIDDEN);
    let f = edit("1", "1");
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = other.submit(&page, &page, &f).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let f = add("1", "11:00-13:00");
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = other
        .submit("/provider/outlets/CANTEEN/offerings", back, &f)
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let o = api(s, &admin, &format!("/api/offerings/{id}")).await;
    assert_eq!((&o["price_fen"], &o["version"]), (&json!(1850), &json!(1)));
    assert_eq!(
        api(s, &admin, "/api/offerings?facility_id=CANTEEN").await["total"],
        1
    );
    // A resident is not a provider.
    let mut r = Browser::new(s);
    r.login("resident", "password-123456").await;
    for path in ["/provider", "/provider/reviews", "/provider/credit"] {
        assert_eq!(r.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // An administrator picks the provider.
    let mut a = Browser::new(s);
    a.login("admin", common::ADMIN_PASSWORD).await;
    let p = a.get(&format!("/provider?provider={P}")).await;
    assert!(p.html.contains("data-outlet=\"CANTEEN\""), "{}", p.html);
    id
}

/// The resident books today's 11:00, the provider serves it, the resident rates it 非常不满意:
/// a 差评 case opens. Returns the case id.
async fn bad_review(s: &TestServer, resident: &Auth, offering: i64) -> i64 {
    let admin = s.admin().await;
    let (st, v) = s
        .request(resident, "POST", "/api/bookings")
        .header("idempotency-key", "provider-pages-1")
        .json(&json!({"offering_id": offering, "start": "2026-06-10T11:00:00+08:00"}))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let v: Value = v.json().await.unwrap();
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let booking = v["id"].as_i64().unwrap();
    // The slot shows the seat taken.
    let mut b = Browser::new(s);
    b.login("staff", "password-123456").await;
    let p = b.get(&format!("/provider/offerings/{offering}")).await;
    assert!(
        p.html
            .contains("<td>11:00–12:00</td><td>1 / 2</td><td>1</td>"),
        "{}",
        p.html
    );
    for (action, at) in [
        ("confirm", "2026-06-10T09:05:00+08:00"),
        ("start", "2026-06-10T10:50:00+08:00"),
        ("complete", "2026-06-10T11:55:00+08:00"),
    ] {
        set_clock(s, at);
        let (st, v) = s
            .post(
                &admin,
                &format!("/api/bookings/{booking}/{action}"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{action}: {v}");
    }
    set_clock(s, "2026-06-10T13:00:00+08:00");
    // Sichuan's rules: a 差评 is to be fixed within a deadline of working days.
    let (st, v) = s
        .call(
            &admin,
            "PUT",
            "/api/review-settings",
            Some(json!({"jurisdiction": "sichuan"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(
            resident,
            "/api/reviews",
            json!({"booking_id": booking, "level": "very_dissatisfied", "text": "饭菜送到时已经凉了"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["case"]["id"].as_i64().unwrap()
}

/// The provider sees the review and its case, verifies it, undertakes to rectify and reports
/// the fix; another provider neither sees nor handles it.
async fn cases(s: &TestServer, case: i64, seen: &mut Vec<(String, String)>) {
    let admin = s.admin().await;
    let mut b = Browser::new(s);
    b.login("staff", "password-123456").await;
    let p = b.get("/provider/reviews").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    let stored = api(s, &admin, &format!("/api/review-cases/{case}")).await;
    assert!(
        p.html.contains(&format!(
            "data-case=\"{case}\" data-status=\"received\" data-overdue=\"false\""
        )),
        "{}",
        p.html
    );
    let deadline = stored["deadline"].as_str().unwrap_or_default();
    assert!(!deadline.is_empty(), "{stored}");
    assert!(
        p.html.contains(&format!("整改期限 {deadline}")),
        "{}",
        p.html
    );
    assert!(p.html.contains("data-verdict=\"bad\""), "{}", p.html);
    assert!(p.html.contains("饭菜送到时已经凉了") && p.html.contains("非常不满意"));
    seen.push(("/provider/reviews".into(), p.html));

    let page = format!("/provider/cases/{case}");
    let action = format!("{page}/actions");
    let p = b.get(&page).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("data-action=\"verify\""), "{}", p.html);
    assert!(!p.html.contains("data-action=\"rectify\""));
    seen.push((page.clone(), p.html));
    let p = b
        .submit(&action, &page, &[("version", "0"), ("action", "verify")])
        .await;
    assert_eq!(
        flash(&p.html),
        format!("已核实（工单 {case}）"),
        "{}",
        p.html
    );
    assert!(p.html.contains("data-status=\"verified\""));
    assert!(
        p.html.contains("data-action=\"rectify\"") && p.html.contains("data-action=\"appeal\"")
    );
    // The same form again: the case changed since; the API refuses.
    let p = b
        .submit(&action, &page, &[("version", "0"), ("action", "verify")])
        .await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    let p = b
        .submit(&action, &page, &[("version", "1"), ("action", "rectify")])
        .await;
    assert_eq!(flash(&p.html), format!("已承诺限期整改（工单 {case}）"));
    assert!(
        p.html.contains("data-action=\"report_rectified\""),
        "{}",
        p.html
    );
    // The fix needs its text (the API's rule).
    let p = b
        .submit(
            &action,
            &page,
            &[
                ("version", "2"),
                ("action", "report_rectified"),
                ("text", " "),
            ],
        )
        .await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    assert_eq!(
        api(s, &admin, &format!("/api/review-cases/{case}")).await["status"],
        "rectifying"
    );
    let p = b
        .submit(
            &action,
            &page,
            &[
                ("version", "2"),
                ("action", "report_rectified"),
                ("text", "更换了保温送餐箱，出餐后 10 分钟内送达"),
            ],
        )
        .await;
    assert_eq!(flash(&p.html), format!("整改完成情况已报告（工单 {case}）"));
    assert!(
        p.html.contains("data-status=\"rectified\"") && p.html.contains("等待监管部门回访居民")
    );
    assert!(p.html.contains("更换了保温送餐箱"), "{}", p.html);
    assert!(!p.html.contains("data-testid=\"case-action\""));
    seen.push((format!("{page} (rectified)"), p.html));
    let v = api(s, &admin, &format!("/api/review-cases/{case}")).await;
    assert_eq!(
        (&v["status"], &v["rectified_on_time"]),
        (&json!("rectified"), &json!(1)),
        "{v}"
    );

    // Another provider: no review, no case; this case's page and actions refused.
    let mut other = Browser::new(s);
    other.login("other-staff", "password-123456").await;
    let p = other.get("/provider/reviews").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.html.contains("data-testid=\"no-open-cases\""),
        "{}",
        p.html
    );
    assert!(!p.html.contains("饭菜送到时已经凉了"));
    assert_eq!(other.get(&page).await.status, StatusCode::FORBIDDEN);
    let p = other
        .submit(&action, &page, &[("version", "3"), ("action", "close")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api(s, &admin, &format!("/api/review-cases/{case}")).await["version"],
        3
    );
}

/// The provider's credit records (its own, with publicity and repair), never its class.
async fn credit(s: &TestServer, seen: &mut Vec<(String, String)>) {
    let admin = s.admin().await;
    let penalty = |code: &str, doc: &str, name: &str| {
        format!("CF_XDR_MC,CF_XDR_SHXYM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM\n{name},{code},{doc},经营超过保质期的食品,检查发现,食品安全法,警告,警告,2026-01-05,海淀区市场监督管理局,11510107MB1535302N,海淀区市场监督管理局,11510107MB1535302N\n")
    };
    for (code, doc, name) in [
        (P, "海市监罚〔2026〕15号", "甲餐饮公司"),
        (Q, "海市监罚〔2026〕16号", "乙餐饮公司"),
    ] {
        let (st, v) = s
            .upload(
                &admin,
                "/api/credit/penalties/import",
                penalty(code, doc, name),
                Some("text/csv"),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    // The classes exist (the regulator's page shows them: the control of `shows_class`).
    let (st, v) = s
        .call(&admin, "POST", "/api/credit/classes/recompute", None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let classes = api(s, &admin, "/api/credit/classes?limit=100").await;
    assert!(
        common::strs(&classes["items"], "subject_uscc").contains(&P),
        "{classes}"
    );
    let mut a = Browser::new(s);
    a.login("admin", common::ADMIN_PASSWORD).await;
    let p = a.get("/regulator/credit").await;
    assert!(shows_class(&p.html), "{}", p.html);

    let mut b = Browser::new(s);
    b.login("staff", "password-123456").await;
    let p = b.get("/provider/credit").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("海市监罚〔2026〕15号"), "{}", p.html);
    assert!(!p.html.contains("海市监罚〔2026〕16号"), "{}", p.html);
    assert_eq!(p.html.matches("data-testid=\"credit-record\"").count(), 1);
    let stored = api(s, &admin, &format!("/api/credit/records?subject={P}")).await;
    let stored = &stored["items"][0];
    let record = stored["id"].as_i64().unwrap();
    let (from, until) = (
        stored["repair_from"].as_str().unwrap(),
        stored["public_until"].as_str().unwrap(),
    );
    assert!(from < "2026-06-10", "{stored}");
    for text in [
        "行政处罚".to_string(),
        "2026-01-05".into(),
        "海淀区市场监督管理局".into(),
        "经营超过保质期的食品".into(),
        format!("公示至 {until}"),
        "data-repair=\"open\"".into(),
        format!("自 {from} 起可申请信用修复"),
    ] {
        assert!(p.html.contains(&text), "{text}: {}", p.html);
    }
    // The API records a repair for regulators and administrators only: no form here, and
    // the provider's own post is the API's refusal.
    assert!(!p.html.contains("repair-record"));
    let p = b
        .submit(
            &format!("/provider/credit/{record}/repair"),
            "/provider/credit",
            &[("version", "0"), ("reason", "已整改"), ("on", "")],
        )
        .await;
    assert!(p.html.contains("flash-error"), "{}", p.html);
    seen.push(("/provider/credit".into(), p.html));
    // An administrator records it from the same page; the provider then reads it repaired.
    let back = format!("/provider/credit?provider={P}");
    let p = a.get(&back).await;
    assert!(
        p.html.contains("data-testid=\"repair-record\""),
        "{}",
        p.html
    );
    let p = a
        .submit(
            &format!("/provider/credit/{record}/repair"),
            &back,
            &[
                ("version", "0"),
                ("provider", P),
                ("reason", "已完成整改并作出信用承诺"),
                ("on", "2026-06-10"),
            ],
        )
        .await;
    assert_eq!(flash(&p.html), "已记录信用修复", "{}", p.html);
    let p = b.get("/provider/credit").await;
    assert!(
        p.html.contains("data-repair=\"repaired\"") && p.html.contains("已信用修复，2026-06-10"),
        "{}",
        p.html
    );
    seen.push(("/provider/credit (repaired)".into(), p.html));
    // In English too, and the home page: no class anywhere.
    let p = b.get("/prefs?lang=en&back=%2Fprovider%2Fcredit").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = b.get("/provider/credit").await;
    assert!(p.html.contains("Our credit records"), "{}", p.html);
    seen.push(("/provider/credit (en)".into(), p.html));
    let p = b.get("/").await;
    seen.push(("/ (en)".into(), p.html));
    // Another provider reads its own record only.
    let mut other = Browser::new(s);
    other.login("other-staff", "password-123456").await;
    let p = other.get("/provider/credit").await;
    assert!(p.html.contains("海市监罚〔2026〕16号"), "{}", p.html);
    assert!(!p.html.contains("海市监罚〔2026〕15号"));
}

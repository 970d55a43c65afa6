//! 家政信用 (issue 13 item 2) over HTTP, on SQLite and PostgreSQL: a practitioner's credit record
//! turns from green to yellow on the day the health check lapses (worked out by hand) and red
//! with an adverse background check; the credit certificate QR token needs the worker's
//! consent, verifies offline with the published key and online; a tampered or expired token is
//! refused offline and online, a revoked one online only; withdrawing consent revokes; every
//! scan is logged with its outcome; another provider's staff reach none of it; the scan answer
//! carries no name, phone or ID number unless consented (and then masked).

mod common;

use base64::Engine;
use common::{assert_error, assert_invalid, set_clock, Auth, TestServer};
use lc_credit::token::{self, TokenError};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";

fn now(s: &TestServer) -> i64 {
    s.state().clock.now_ms()
}

struct World {
    admin: Auth,
    regulator: Auth,
    staff_p: Auth,
    staff_q: Auth,
    /// A housekeeper of provider P (赵六, phone and ID number on the registry record).
    worker: i64,
}

async fn world(s: &TestServer) -> World {
    let admin = s.admin().await;
    for (code, name) in [(P, "甲家政公司"), (Q, "乙家政公司")] {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": code, "name": name}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = s
        .post(&admin, "/api/practitioners", json!({"provider_code": P, "name": "赵六六", "kind": "housekeeper", "phone": "13912345678", "id_number": "11010519491231002X"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let worker = v["id"].as_i64().unwrap();
    let (_, regulator) = s.user(&admin, "g1", "regulator", json!({})).await;
    let (_, staff_p) = s
        .user(&admin, "p1", "provider_staff", json!({"provider_code": P}))
        .await;
    let (_, staff_q) = s
        .user(&admin, "q1", "provider_staff", json!({"provider_code": Q}))
        .await;
    World {
        admin,
        regulator,
        staff_p,
        staff_q,
        worker,
    }
}

/// A complete record: identity checked 2026-01-05, a clean background check of 2024-06-01
/// (valid through 2029-05-31), a health check of 2025-03-12 (valid through 2026-03-11),
/// insurance through 2026-12-31.
fn complete() -> Value {
    json!({
        "identity": {"verified_on": "2026-01-05", "method": "id_card_reader", "verified_by": "甲家政公司 人事部"},
        "background_check": {"checked_on": "2024-06-01", "clean": true, "issuer": "某派出所"},
        "health_check": {"checked_on": "2025-03-12", "issuer": "某区疾控中心"},
        "training": [{"course": "家政服务员（初级）", "hours": 40, "completed_on": "2025-11-20", "issuer": "某职业培训学校"}],
        "insurance": {"insurer": "某保险公司", "policy_number": "PICC-2026-001", "valid_until": "2026-12-31"},
        "work_history": [{"employer": "丙家政公司", "from": "2021-03-01", "to": "2025-12-31"}, {"employer": "甲家政公司", "from": "2026-01-01"}]
    })
}

async fn put(
    s: &TestServer,
    who: &Auth,
    path: &str,
    body: Value,
    version: Option<i64>,
) -> (StatusCode, Value) {
    let mut rb = s.request(who, "PUT", path).json(&body);
    if let Some(v) = version {
        rb = rb.header("if-match", format!("\"{v}\""));
    }
    let r = rb.send().await.unwrap();
    let st = r.status();
    (st, r.json().await.unwrap())
}

fn items(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_string())
        .collect()
}

async fn colours_follow_the_day(s: &TestServer) {
    let w = world(s).await;
    let path = format!("/api/housekeeping/practitioners/{}", w.worker);
    set_clock(s, "2026-03-10T10:00:00+08:00");
    // Nothing recorded yet: red (identity not verified), everything missing.
    let (st, v) = s.get(&w.staff_p, &path).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["version"], json!(0));
    assert_eq!(v["status"]["colour"], json!("red"));
    assert_eq!(
        items(&v["status"]["reasons"], "item"),
        ["identity", "background_check", "health_check", "insurance"]
    );
    assert_eq!(v["name"], json!("赵**"), "masked");

    // The provider writes the complete record: green on 2026-03-10, the health check (last
    // valid day 2026-03-11) within 30 days of lapsing.
    let (st, v) = put(s, &w.staff_p, &path, complete(), Some(0)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["version"], json!(1));
    assert_eq!(v["status"]["colour"], json!("green"), "{v}");
    assert_eq!(v["status"]["on"], json!("2026-03-10"));
    let valid: Vec<(String, String)> = v["status"]["valid_until"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["item"].as_str().unwrap().into(),
                x["last_day"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        valid,
        [
            ("background_check".to_string(), "2029-05-31".to_string()),
            ("health_check".into(), "2026-03-11".into()),
            ("insurance".into(), "2026-12-31".into()),
        ]
    );
    assert_eq!(items(&v["status"]["expiring"], "item"), ["health_check"]);
    assert_eq!(v["training"][0]["hours"], json!(40.0));
    assert_eq!(v["work_history"][1]["to"], json!(null));
    assert_eq!(v["bookings_served"], json!(0));
    assert_eq!(v["reviews"], json!({"good": 0, "neutral": 0, "bad": 0}));

    // The last valid day of the health check, late evening: still green. Just after midnight
    // in Shanghai: yellow, for the health check alone — nobody wrote anything.
    set_clock(s, "2026-03-11T23:59:00+08:00");
    let (_, v) = s.get(&w.regulator, &path).await;
    assert_eq!(v["status"]["colour"], json!("green"));
    set_clock(s, "2026-03-12T00:01:00+08:00");
    let (_, v) = s.get(&w.regulator, &path).await;
    assert_eq!(
        (
            &v["status"]["colour"],
            items(&v["status"]["reasons"], "item")
        ),
        (&json!("yellow"), vec!["health_check".to_string()])
    );

    // Compare-and-set: a write against version 0 now loses.
    let (st, v) = put(s, &w.staff_p, &path, complete(), Some(0)).await;
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    // A new health check and an adverse background check: red.
    let mut rec = complete();
    rec["health_check"] = json!({"checked_on": "2026-03-12"});
    rec["background_check"] = json!({"checked_on": "2026-03-01", "clean": false});
    let (st, v) = put(s, &w.staff_p, &path, rec, Some(1)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (
            &v["status"]["colour"],
            items(&v["status"]["reasons"], "item")
        ),
        (&json!("red"), vec!["background_check".to_string()])
    );
    assert_eq!(v["version"], json!(2));

    // Bad input: every field named.
    let mut bad = complete();
    bad["training"][0]["hours"] = json!(-1);
    bad["insurance"] = json!({"insurer": "某保险公司", "policy_number": "X"});
    bad["work_history"][0]["to"] = json!("2020-01-01");
    let (st, v) = put(s, &w.staff_p, &path, bad, None).await;
    assert_invalid(st, &v, "out_of_range");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "training[0].hours",
            "insurance.valid_until",
            "work_history[0].to"
        ]
    );

    let mut blank = complete();
    blank["identity"]["verified_on"] = json!(" ");
    let (st, v) = put(s, &w.staff_p, &path, blank, None).await;
    assert_invalid(st, &v, "required");
    assert_eq!(v["errors"][0]["field"], json!("identity.verified_on"));

    // The black list is the regulators': provider staff cannot set it; a regulator can, and a
    // provider's later write keeps it.
    let mut listed = complete();
    listed["black_list"] = json!({"listed": true, "reason": "严重失信：虐待服务对象"});
    let (st, v) = put(s, &w.staff_p, &path, listed.clone(), None).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = put(s, &w.regulator, &path, listed, Some(2)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        items(&v["status"]["reasons"], "item"),
        ["black_list", "health_check"]
    );
    let (st, v) = put(s, &w.staff_p, &path, complete(), Some(3)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["black_list"]["listed"], json!(true));
    assert_eq!(v["status"]["colour"], json!("red"));
    let mut cleared = complete();
    cleared["black_list"] = json!({"listed": false});
    let (st, v) = put(s, &w.staff_p, &path, cleared.clone(), Some(4)).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = put(s, &w.regulator, &path, cleared, Some(4)).await;
    assert_eq!(
        (st, &v["black_list"]["listed"]),
        (StatusCode::OK, &json!(false)),
        "{v}"
    );

    // Another provider's staff reach none of it.
    let (st, v) = s.get(&w.staff_q, &path).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = put(s, &w.staff_q, &path, complete(), None).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .get(&w.staff_q, &format!("/api/housekeeping/enterprises/{P}"))
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .get(&w.staff_p, "/api/housekeeping/practitioners/999999")
        .await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");

    // Every change is in the audit trail.
    let (_, v) = s
        .get(
            &w.admin,
            &format!("/api/audit?entity=hk_record&entity_id={}", w.worker),
        )
        .await;
    assert_eq!(v["total"], json!(5), "{v}");
}
both!(colours_follow_the_day);

async fn published_keys(s: &TestServer) -> Vec<(String, [u8; 32])> {
    let (st, v) = s.get(&Auth::Anonymous, "/api/public/credit-keys").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(k["public_key"].as_str().unwrap())
                .unwrap();
            (
                k["key_id"].as_str().unwrap().to_string(),
                bytes.try_into().unwrap(),
            )
        })
        .collect()
}

fn offline(keys: &[(String, [u8; 32])], text: &str, at: i64) -> Result<token::Claims, TokenError> {
    let keys: Vec<(&str, [u8; 32])> = keys.iter().map(|(k, b)| (k.as_str(), *b)).collect();
    token::verify(text, &keys, at)
}

async fn online(s: &TestServer, text: &str) -> Value {
    let (st, v) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/public/credit-scan?token={text}"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

/// Changes one character of the payload (the second part) to another base64url character.
fn tamper(text: &str) -> String {
    let mut parts: Vec<String> = text.split('.').map(String::from).collect();
    let p = &mut parts[1];
    let i = 5;
    let c = p.as_bytes()[i];
    let new = if c == b'A' { 'B' } else { 'A' };
    p.replace_range(i..i + 1, &new.to_string());
    parts.join(".")
}

async fn tokens_offline_and_online(s: &TestServer) {
    let w = world(s).await;
    let rec = format!("/api/housekeeping/practitioners/{}", w.worker);
    let tokens = format!("{rec}/tokens");
    let consent = format!("{rec}/consent");
    set_clock(s, "2026-03-01T09:00:00+08:00");
    let (st, _) = put(s, &w.staff_p, &rec, complete(), None).await;
    assert_eq!(st, StatusCode::OK);

    // No token without the worker's consent.
    let (st, v) = s.post(&w.staff_p, &tokens, json!({})).await;
    assert_error(st, &v, StatusCode::CONFLICT, "consent_required");
    let (st, v) = put(s, &w.staff_p, &consent, json!({"given": true}), None).await;
    assert_invalid(st, &v, "required");
    let (st, v) = put(
        s,
        &w.staff_p,
        &consent,
        json!({"given": true, "method": "written", "note": "本人签字授权书"}),
        Some(0),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["given"], &v["show_name"]),
        (&json!(true), &json!(false))
    );
    let (st, v) = s.post(&w.staff_p, &tokens, json!({"days": 400})).await;
    assert_invalid(st, &v, "out_of_range");

    // A 10-day token: expires 2026-03-11T09:00+08:00 (and the few ms the test took since).
    let (st, v) = s.post(&w.staff_p, &tokens, json!({"days": 10})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let text = v["text"].as_str().unwrap().to_string();
    let token_id = v["token_id"].as_str().unwrap().to_string();
    let issued = v["issued_at"].as_i64().unwrap();
    assert_eq!(v["expires_at"].as_i64().unwrap() - issued, 10 * 86_400_000);
    assert_eq!(v["colour"], json!("green"));
    assert!(text.starts_with("LC1."), "{text}");

    // Offline, with the published key: accepted, carrying only the pseudonymous subject.
    let keys = published_keys(s).await;
    let claims = offline(&keys, &text, now(s)).unwrap();
    assert_eq!(claims.token_id_hex(), token_id);
    assert_eq!(claims.subject.len(), 16);
    // Online: accepted, the live status, the provider's name; no name unless consented.
    let v = online(s, &text).await;
    assert_eq!(
        (&v["accepted"], &v["outcome"]),
        (&json!(true), &json!("accepted")),
        "{v}"
    );
    assert_eq!(v["live"]["status"]["colour"], json!("green"));
    assert_eq!(v["live"]["provider_name"], json!("甲家政公司"));
    assert_eq!(v["live"]["masked_name"], json!(null));
    let answer = v.to_string();
    // Neither in full nor masked (the masked forms keep `002X` and runs of `*`); bare digit
    // runs would turn up by chance in the random token id.
    for personal in ["赵", "13912345678", "11010519491231002X", "002X", "****"] {
        assert!(!answer.contains(personal), "{personal} in {answer}");
    }
    // With consent to show the name: masked, never in full.
    let (st, v) = put(
        s,
        &w.staff_p,
        &consent,
        json!({"given": true, "method": "written", "show_name": true}),
        Some(1),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let v = online(s, &text).await;
    assert_eq!(v["live"]["masked_name"], json!("赵**"));
    assert!(!v.to_string().contains("赵六六"));
    // The scan page: Chinese first, the colour in words.
    let (st, html, headers) = s
        .raw(&Auth::Anonymous, "GET", &format!("/q/{text}"), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(
        html.contains("<html lang=\"zh-CN\">") && html.contains("绿码") && html.contains("GREEN")
    );
    assert!(html.contains("赵**") && !html.contains("赵六六") && !html.contains("13912345678"));
    // The QR code image for printing.
    let (st, svg, headers) = s
        .raw(
            &w.staff_p,
            "GET",
            &format!("/api/housekeeping/tokens/{token_id}/qr.svg"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(svg.contains("<svg"), "{svg}");

    // Tampered: one character of the payload changed — refused offline and online.
    let bad = tamper(&text);
    assert_ne!(bad, text);
    let off = offline(&keys, &bad, now(s));
    assert!(
        matches!(
            off,
            Err(TokenError::BadSignature | TokenError::Malformed(_))
        ),
        "{off:?}"
    );
    let v = online(s, &bad).await;
    assert_eq!(v["accepted"], json!(false));
    let tampered = v["outcome"].as_str().unwrap().to_string();
    assert!(
        ["bad_signature", "malformed"].contains(&tampered.as_str()),
        "{v}"
    );
    assert_eq!(v["live"], json!(null));
    let (_, html, _) = s
        .raw(&Auth::Anonymous, "GET", &format!("/q/{bad}"), None)
        .await;
    assert!(html.contains("无效") && html.contains("NOT VALID") && !html.contains("绿码"));

    // The live status differs from the token's: the health check lapses on 2026-03-12 while
    // the token lives until 03-11 — move to 03-10 with the insurance ended early instead.
    let mut lapsed = complete();
    lapsed["insurance"]["valid_until"] = json!("2026-03-09");
    set_clock(s, "2026-03-10T12:00:00+08:00");
    let (st, _) = put(s, &w.staff_p, &rec, lapsed, None).await;
    assert_eq!(st, StatusCode::OK);
    let v = online(s, &text).await;
    assert_eq!(
        (
            &v["accepted"],
            &v["offline"]["colour_at_issue"],
            &v["live"]["status"]["colour"]
        ),
        (&json!(true), &json!("green"), &json!("yellow"))
    );

    // Expired: at the expiry instant itself — refused offline and online.
    set_clock(s, "2026-03-11T09:00:00+08:00");
    s.state().clock.advance(
        issued
            - "2026-03-01T09:00:00+08:00"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond(),
    );
    assert_eq!(now(s) / 1000, (issued + 10 * 86_400_000) / 1000);
    assert!(matches!(
        offline(&keys, &text, now(s)),
        Err(TokenError::Expired { .. })
    ));
    let v = online(s, &text).await;
    assert_eq!(
        (&v["accepted"], &v["outcome"]),
        (&json!(false), &json!("expired"))
    );

    // Revoked: still valid offline, refused online.
    let (_, v) = s.post(&w.staff_p, &tokens, json!({})).await;
    let second = v["text"].as_str().unwrap().to_string();
    let second_id = v["token_id"].as_str().unwrap().to_string();
    let revoke = format!("/api/housekeeping/tokens/{second_id}/revoke");
    let (st, v) = s.post(&w.staff_q, &revoke, json!({"reason": "x"})).await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s.post(&w.staff_p, &revoke, json!({})).await;
    assert_invalid(st, &v, "required");
    let (st, v) = s
        .post(&w.staff_p, &revoke, json!({"reason": "工牌遗失"}))
        .await;
    assert_eq!(
        (st, &v["revoke_reason"]),
        (StatusCode::OK, &json!("工牌遗失")),
        "{v}"
    );
    let (st, v) = s
        .post(&w.staff_p, &revoke, json!({"reason": "again"}))
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "already_revoked");
    assert!(offline(&keys, &second, now(s)).is_ok());
    let v = online(s, &second).await;
    assert_eq!(
        (&v["accepted"], &v["outcome"]),
        (&json!(false), &json!("revoked"))
    );
    assert_eq!(v["offline_valid"], json!(true));

    // Withdrawing consent revokes the live tokens and stops new ones.
    let (_, v) = s.post(&w.staff_p, &tokens, json!({})).await;
    let third = v["text"].as_str().unwrap().to_string();
    assert_eq!(online(s, &third).await["accepted"], json!(true));
    let (st, v) = put(s, &w.staff_p, &consent, json!({"given": false}), None).await;
    assert_eq!((st, &v["given"]), (StatusCode::OK, &json!(false)), "{v}");
    let v = online(s, &third).await;
    assert_eq!(v["outcome"], json!("revoked"));
    let (st, v) = s.post(&w.staff_p, &tokens, json!({})).await;
    assert_error(st, &v, StatusCode::CONFLICT, "consent_required");
    let (_, v) = s
        .get(
            &w.staff_p,
            &format!("/api/housekeeping/tokens?practitioner_id={}", w.worker),
        )
        .await;
    assert_eq!(v["total"], json!(3));
    let reasons: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["revoke_reason"])
        .collect();
    // Newest first: the third (consent withdrawn), the second (revoked by hand), the first
    // (expired, never revoked).
    assert_eq!(
        reasons,
        [
            &json!("授权已撤回 | consent withdrawn"),
            &json!("工牌遗失"),
            &Value::Null
        ]
    );

    // Every scan is in the log with its outcome; the tampered ones name no practitioner.
    let (_, v) = s
        .get(&w.regulator, "/api/housekeeping/scans?limit=100")
        .await;
    let mut outcomes = items(&v["items"], "outcome");
    outcomes.reverse();
    let t = tampered.as_str();
    assert_eq!(
        outcomes,
        [
            "accepted", // the first scan
            "accepted", // with the masked name
            "accepted", // the page
            t,          // tampered
            t,          // the page of the tampered token
            "accepted", // yellow now
            "expired", "revoked", "accepted", // the third before the withdrawal
            "revoked",
        ]
    );
    let channels = items(&v["items"], "channel");
    assert_eq!(channels.iter().filter(|c| *c == "page").count(), 2);
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["client_hash"].as_str().is_some_and(|h| h.len() == 16)));
    // The provider sees its own scans (all but the two tampered ones, which name no one);
    // another provider none.
    let (_, v) = s.get(&w.staff_p, "/api/housekeeping/scans").await;
    assert_eq!(v["total"], json!(8), "{v}");
    let (_, v) = s.get(&w.staff_q, "/api/housekeeping/scans").await;
    assert_eq!(v["total"], json!(0));
    let (_, v) = s.get(&w.staff_q, "/api/housekeeping/tokens").await;
    assert_eq!(v["total"], json!(0));
    let (_, v) = s
        .get(
            &w.staff_q,
            &format!("/api/housekeeping/tokens?provider_code={P}"),
        )
        .await;
    assert_eq!(v["total"], json!(0), "a filter cannot widen the scope");
}
both!(tokens_offline_and_online);

async fn enterprise_record(s: &TestServer) {
    let w = world(s).await;
    set_clock(s, "2026-03-01T09:00:00+08:00");
    // A second worker with nothing recorded (red), the first complete (green, its health
    // check lapsing within 30 days: last valid day 2026-03-11).
    let (_, v) = s
        .post(
            &w.admin,
            "/api/practitioners",
            json!({"provider_code": P, "name": "钱七", "kind": "caregiver"}),
        )
        .await;
    let second = v["id"].as_i64().unwrap();
    let (st, _) = put(
        s,
        &w.staff_p,
        &format!("/api/housekeeping/practitioners/{}", w.worker),
        complete(),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = s
        .get(&w.staff_p, &format!("/api/housekeeping/enterprises/{P}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["by_colour"], json!({"green": 1, "yellow": 0, "red": 1}));
    assert_eq!(v["expiring_items"], json!(1));
    assert_eq!(v["colour"], json!("yellow"));
    assert_eq!(v["practitioners"][1]["practitioner_id"], json!(second));
    assert_eq!(v["practitioners"][1]["name"], json!("钱*"));
    assert_eq!(v["penalties_in_publicity"], json!([]));
    // An enterprise token needs no worker's consent; its scan shows the firm.
    let (st, v) = s
        .post(
            &w.staff_p,
            &format!("/api/housekeeping/enterprises/{P}/tokens"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["kind"], json!("enterprise"));
    // 30 days by default.
    assert_eq!(
        v["expires_at"].as_i64().unwrap() - v["issued_at"].as_i64().unwrap(),
        30 * 86_400_000
    );
    let text = v["text"].as_str().unwrap().to_string();
    let v = online(s, &text).await;
    assert_eq!(v["accepted"], json!(true), "{v}");
    assert_eq!(
        (
            &v["live"]["kind"],
            &v["live"]["provider_name"],
            &v["live"]["status"]["colour"]
        ),
        (&json!("enterprise"), &json!("甲家政公司"), &json!("yellow"))
    );
    let (st, v) = s
        .post(
            &w.staff_q,
            &format!("/api/housekeeping/enterprises/{P}/tokens"),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .get(
            &w.regulator,
            "/api/housekeeping/enterprises/91110108551385082Q",
        )
        .await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");
}
both!(enterprise_record);

async fn malformed_scans_are_answered_and_logged(s: &TestServer) {
    let w = world(s).await;
    for junk in ["hello", "LC2.AAAA.BBBB", "LC1..", &"x".repeat(300)] {
        let v = online(s, junk).await;
        assert_eq!(v["accepted"], json!(false), "{junk}: {v}");
    }
    assert_eq!(
        online(s, "LC2.AAAA.BBBB").await["outcome"],
        json!("unknown_version")
    );
    let (st, v) = s.get(&Auth::Anonymous, "/api/public/credit-scan").await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (_, v) = s.get(&w.regulator, "/api/housekeeping/scans").await;
    assert_eq!(v["total"], json!(5));
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["token_id"].is_null() && x["provider_code"].is_null()));
    // A page of HTML-looking junk is escaped.
    let (st, html, _) = s
        .raw(&Auth::Anonymous, "GET", "/q/%3Cscript%3E", None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(!html.contains("<script>"));
}
both!(malformed_scans_are_answered_and_logged);

async fn a_health_check_lapsing_raises_a_warning(s: &TestServer) {
    let w = world(s).await;
    let rec = format!("/api/housekeeping/practitioners/{}", w.worker);
    // The health check of 2025-03-12 is valid through 2026-03-11: 30 days before is 02-09.
    set_clock(s, "2026-02-08T12:00:00+08:00");
    let (st, _) = put(s, &w.staff_p, &rec, complete(), None).await;
    assert_eq!(st, StatusCode::OK);
    let (_, v) = s
        .post(&w.regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(v["raised"], json!(0), "{v}");
    set_clock(s, "2026-02-09T12:00:00+08:00");
    let (_, v) = s
        .post(&w.regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(v["raised"], json!(1), "{v}");
    let (_, v) = s.get(&w.staff_p, "/api/warnings").await;
    assert_eq!(v["total"], json!(1));
    assert_eq!(
        v["items"][0]["condition_key"],
        json!(format!(
            "certificate_expiring:{}:health_check:2026-03-11",
            w.worker
        ))
    );
    assert!(v["items"][0]["message_zh"]
        .as_str()
        .unwrap()
        .contains("健康体检"));
    let (_, v) = s.get(&w.staff_q, "/api/warnings").await;
    assert_eq!(v["total"], json!(0));
    // A new health check clears it at the next evaluation.
    let mut renewed = complete();
    renewed["health_check"] = json!({"checked_on": "2026-02-09"});
    let (st, _) = put(s, &w.staff_p, &rec, renewed, None).await;
    assert_eq!(st, StatusCode::OK);
    let (_, v) = s
        .post(&w.regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!((&v["raised"], &v["cleared"]), (&json!(0), &json!(1)), "{v}");
}
both!(a_health_check_lapsing_raises_a_warning);

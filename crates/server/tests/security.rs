//! The security defects of issue 10, each as an attack against the real server on a fresh
//! SQLite file and a fresh PostgreSQL database: HEAD and undeclared methods, body limits,
//! security headers, request ids, throttling under concurrent requests, invalid text,
//! exported formulas, search, tokens, and the secrets on disk.

mod common;

use std::net::{IpAddr, SocketAddr};

use common::{assert_error, assert_invalid, Auth, Db, TestServer, ADMIN_PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";

/// Parses a response body as the API's JSON error and checks its code and request id.
#[track_caller]
fn json_error(st: StatusCode, body: &str, headers: &reqwest::header::HeaderMap, code: &str) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(v["code"], json!(code), "{st} {v}");
    assert!(
        v["message_en"].is_string() && v["message_zh"].is_string(),
        "{v}"
    );
    let rid = headers["x-request-id"].to_str().unwrap();
    assert_eq!(v["request_id"], json!(rid), "{v}");
    assert_eq!(
        headers["content-type"].to_str().unwrap(),
        "application/json"
    );
}

async fn head_and_undeclared_methods(s: &TestServer) {
    let anon = Auth::Anonymous;
    let admin = s.admin().await;
    // HEAD passes the same gate as GET: no existence leaks to an anonymous caller.
    for path in [
        "/api/users",
        "/api/users/1",
        "/api/audit",
        "/api/access-log",
        "/api/residents",
        "/api/residents/1",
        "/api/practitioners",
        "/api/auth/me",
    ] {
        let (st, body, _) = s.raw(&anon, "HEAD", path, None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "HEAD {path}");
        assert!(body.is_empty());
        let (gst, _, _) = s.raw(&anon, "GET", path, None).await;
        assert_eq!(gst, st, "GET {path}");
    }
    let (_, w) = s
        .user(
            &admin,
            "w1",
            "community_worker",
            json!({"community_id": "110108010031"}),
        )
        .await;
    let (st, _, _) = s.raw(&w, "HEAD", "/api/users", None).await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "a role refused GET is refused HEAD"
    );
    let (st, _, _) = s.raw(&admin, "HEAD", "/api/users", None).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, _) = s.raw(&anon, "HEAD", "/api/communities", None).await;
    assert_eq!(st, StatusCode::OK, "public endpoints stay public");

    // A method a path does not declare: 405 in the JSON error format with Allow.
    for (who, m, path) in [
        (&anon, "DELETE", "/api/users"),
        (&admin, "DELETE", "/api/users/1"),
        (&admin, "PUT", "/api/communities"),
        (&anon, "PATCH", "/api/auth/login"),
        (&anon, "OPTIONS", "/api/health"),
        (&admin, "POST", "/api/audit"),
    ] {
        let (st, body, h) = s.raw(who, m, path, None).await;
        assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}: {body}");
        json_error(st, &body, &h, "method_not_allowed");
        assert!(h.contains_key("allow"), "{m} {path}");
    }
    let (_, _, h) = s.raw(&anon, "DELETE", "/api/users", None).await;
    assert_eq!(h["allow"], "GET, POST, HEAD");
}
both!(head_and_undeclared_methods);

async fn body_limits(s: &TestServer) {
    let anon = Auth::Anonymous;
    let admin = s.admin().await;
    // The public login takes a small body.
    let body = json!({"username": "a".repeat(100 << 10), "password": "x"}).to_string();
    let (st, text, h) = s
        .raw(
            &anon,
            "POST",
            "/api/auth/login",
            Some((body, "application/json")),
        )
        .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    json_error(st, &text, &h, "payload_too_large");
    // A 10 MiB username: refused from its Content-Length, before it is read (the server may
    // close the connection while the client is still sending, so a send error counts too).
    let body = json!({"username": "a".repeat(10 << 20), "password": "x"}).to_string();
    match s
        .request(&anon, "POST", "/api/auth/login")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(resp) => assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(!e.is_timeout(), "{e}"),
    }
    // An overlong username within the limit is refused, not stored as a failure.
    let (st, v) = s
        .post(
            &anon,
            "/api/auth/login",
            json!({"username": "b".repeat(5000), "password": "x"}),
        )
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let stored: i64 = lc_store::sqlx::query_scalar("SELECT COUNT(*) FROM login_failures")
        .fetch_one(s.state().store.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // A JSON endpoint takes 64 KiB at most.
    let big = json!({"uscc": P, "name": "x", "address": "y".repeat(100 << 10)}).to_string();
    let (st, text, h) = s
        .raw(
            &admin,
            "POST",
            "/api/providers",
            Some((big, "application/json")),
        )
        .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    json_error(st, &text, &h, "payload_too_large");
    // An import takes a large body (here 1 MiB of communities).
    let mut csv = String::from("id,name,lon,lat,population\n");
    let mut n = 0;
    while csv.len() < (1 << 20) {
        csv.push_str(&format!(
            "BIG-{n},社区 {n} 有一个很长的名字用来占位,116.35,40.0,100\n"
        ));
        n += 1;
    }
    let (st, v) = s
        .upload(
            &admin,
            "/api/communities/import",
            csv,
            Some("text/csv; charset=utf-8"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["imported"], json!(n));
}
both!(body_limits);

async fn security_headers_and_request_ids(s: &TestServer) {
    let admin = s.admin().await;
    let anon = Auth::Anonymous;
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": P, "name": "甲", "contact_name": "李四", "contact_phone": "13812345678"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let login = json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string();
    for (who, m, path, body) in [
        (&anon, "GET", "/api/health", None),
        (&anon, "GET", "/api/nothing", None),
        (&anon, "GET", "/api/users", None),
        (&anon, "POST", "/api/auth/login", Some(login.clone())),
        (&admin, "GET", "/api/auth/me", None),
        (&admin, "GET", &format!("/api/providers/{P}"), None),
        (&anon, "GET", "/api/communities/export.csv", None),
    ] {
        let (st, _, h) = s
            .raw(who, m, path, body.map(|b| (b, "application/json")))
            .await;
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
        let csp = get("content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path} {st}: {csp}"
        );
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(get("x-frame-options"), "DENY", "{path}");
        assert_eq!(get("cache-control"), "no-store", "{path}");
    }

    // The server makes its own request id; a client's is never taken for it.
    let ids: Vec<String> = {
        let mut out = Vec::new();
        for _ in 0..2 {
            let resp = s
                .request(&anon, "GET", "/api/health")
                .header("x-request-id", "client-chosen-id")
                .send()
                .await
                .unwrap();
            out.push(resp.headers()["x-request-id"].to_str().unwrap().to_string());
        }
        out
    };
    assert!(ids.iter().all(|i| i != "client-chosen-id"), "{ids:?}");
    assert_ne!(ids[0], ids[1]);
    // The audit trail records the server's id, the one the response carried.
    let resp = s
        .request(&admin, "PATCH", &format!("/api/providers/{P}"))
        .header("x-request-id", "forged-id")
        .json(&json!({"name": "乙"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let rid = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let (_, v) = s
        .get(&admin, &format!("/api/audit?entity=provider&entity_id={P}"))
        .await;
    let latest = &v["items"][0];
    assert_eq!(latest["action"], json!("update"), "{v}");
    assert_eq!(latest["request_id"], json!(rid), "{v}");
    // Error bodies carry it too.
    let resp = s
        .request(&anon, "GET", "/api/users")
        .header("x-request-id", "forged-id")
        .send()
        .await
        .unwrap();
    let rid = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["request_id"], json!(rid));
    assert_ne!(rid, "forged-id");
}
both!(security_headers_and_request_ids);

/// A client whose requests come from `ip` (a loopback address).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .build()
        .unwrap()
}

async fn login_from(
    s: &TestServer,
    client: &reqwest::Client,
    user: &str,
    pw: &str,
) -> (StatusCode, Value) {
    let resp = client
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap();
    let st = resp.status();
    (st, resp.json().await.unwrap_or(Value::Null))
}

async fn throttling_under_concurrency(s: &TestServer) {
    let admin = s.admin().await;
    let checks_before = s
        .state()
        .password_checks
        .load(std::sync::atomic::Ordering::SeqCst);
    // 40 wrong passwords at once from one address: only the free five are checked.
    let attacker = client_from([127, 0, 0, 2]);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let c = attacker.clone();
        let url = format!("{}/api/auth/login", s.base);
        tasks.push(tokio::spawn(async move {
            c.post(url)
                .json(&json!({"username": "admin", "password": format!("guess-{i}")}))
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    let mut by_status = std::collections::BTreeMap::new();
    for t in tasks {
        let st = t.await.unwrap().unwrap();
        *by_status.entry(st.as_u16()).or_insert(0) += 1;
    }
    assert_eq!(
        by_status,
        [
            (401, lc_server::throttle::FREE_FAILURES),
            (429, 40 - lc_server::throttle::FREE_FAILURES)
        ]
        .into_iter()
        .collect(),
    );
    let checks = s
        .state()
        .password_checks
        .load(std::sync::atomic::Ordering::SeqCst)
        - checks_before;
    assert_eq!(checks, lc_server::throttle::FREE_FAILURES as u64);
    assert!(lc_server::auth::hashing_peak() <= lc_server::auth::HASHING_PERMITS);
    // The attacker's address is locked for this account, even with the right password...
    let (st, v) = login_from(s, &attacker, "admin", ADMIN_PASSWORD).await;
    assert_error(st, &v, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // ...but the owner at their own address is not locked out.
    let owner = client_from([127, 0, 0, 3]);
    let (st, v) = login_from(s, &owner, "admin", ADMIN_PASSWORD).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // An administrator ends the lock.
    let (_, me) = s.get(&admin, "/api/auth/me").await;
    let (st, v) = s
        .call(
            &admin,
            "POST",
            &format!("/api/users/{}/unlock", me["id"]),
            None,
        )
        .await;
    assert_eq!(
        (st, v["unlocked"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    let (st, v) = login_from(s, &attacker, "admin", ADMIN_PASSWORD).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get(&admin, "/api/audit?action=unlock").await;
    assert_eq!(v["total"], json!(1), "{v}");

    // A burst of logins naming many accounts waits for hashing permits (bounded memory).
    let sprayer = client_from([127, 0, 0, 4]);
    let mut tasks = Vec::new();
    for i in 0..25 {
        let c = sprayer.clone();
        let url = format!("{}/api/auth/login", s.base);
        tasks.push(tokio::spawn(async move {
            c.post(url)
                .json(&json!({"username": format!("u{i}"), "password": "x"}))
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), StatusCode::UNAUTHORIZED);
    }
    assert!(lc_server::auth::hashing_peak() <= lc_server::auth::HASHING_PERMITS);
}
both!(throttling_under_concurrency);

async fn invalid_text_is_refused(s: &TestServer) {
    let anon = Auth::Anonymous;
    let admin = s.admin().await;
    // NUL and other control characters in the path or the query: 400 on both databases.
    for path in [
        "/api/communities/%00",
        "/api/communities/a%00b",
        "/api/providers/%00",
        "/api/communities?q=%00",
        "/api/divisions?name=x%00",
        "/api/communities?q=%0d%0a",
        "/api/communities?q=%FF",
        "/api/users?q=%00",
    ] {
        let (st, body, h) = s.raw(&admin, "GET", path, None).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {body}");
        json_error(st, &body, &h, "bad_request");
    }
    // NUL in JSON strings.
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": P, "name": "a\u{0}b"}),
        )
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (st, v) = s
        .post(
            &anon,
            "/api/auth/login",
            json!({"username": "adm\u{0}in", "password": "x"}),
        )
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    let (st, v) = s
        .post(&admin, "/api/auth/tokens", json!({"name": "t", "\u{0}": 1}))
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
    // Names that read differently from what they are.
    for name in ["富润\u{202E}家园", "\u{2067}abc\u{2069}", "富\u{200B}润"] {
        let (st, v) = s
            .post(
                &admin,
                "/api/communities",
                json!({"id": "X1", "name": name, "lon": 116.35, "lat": 40.0, "population": 10}),
            )
            .await;
        assert_invalid(st, &v, "invisible_character");
    }
    // Identifiers: ASCII, beginning with a letter or digit.
    for id in ["-X1", "设施", "X\u{0430}1"] {
        let (st, v) = s
            .post(
                &admin,
                "/api/communities",
                json!({"id": id, "name": "n", "lon": 116.35, "lat": 40.0, "population": 10}),
            )
            .await;
        assert_invalid(st, &v, "invalid_id");
    }
    // The all-zero credit code and a birth year before 1900.
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": "000000000000000000", "name": "零"}),
        )
        .await;
    assert_invalid(st, &v, "invalid_uscc");
    let (st, v) = s
        .post(
            &admin,
            "/api/residents",
            json!({"community_id": "110108010031", "name": "张三", "id_number": "440524188001010014"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], json!("id_number"), "{v}");
}
both!(invalid_text_is_refused);

async fn exports_neutralise_formulas(s: &TestServer) {
    let admin = s.admin().await;
    let evil = "=HYPERLINK(\"http://evil.example/x\",\"点此\")";
    let (st, v) = s
        .post(
            &admin,
            "/api/facilities",
            json!({"id": "EVIL-1", "name": evil, "category": "nursery", "lon": 116.35, "lat": 40.0, "address": "@SUM(1+1)"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, csv) = s
        .bytes(&Auth::Anonymous, "/api/facilities/export.csv")
        .await;
    assert_eq!(st, StatusCode::OK);
    let mut r = csv::Reader::from_reader(csv.as_slice());
    let headers = r.headers().unwrap().clone();
    let row = r
        .records()
        .map(Result::unwrap)
        .find(|rec| rec.get(0) == Some("EVIL-1"))
        .expect("the facility is exported");
    let cell = |k: &str| {
        row.get(headers.iter().position(|h| h == k).unwrap())
            .unwrap()
    };
    assert_eq!(cell("name"), format!("'{evil}"));
    assert_eq!(cell("lon"), "116.35", "numbers stay numbers");
    // No exported cell begins a formula.
    let all = csv::Reader::from_reader(csv.as_slice())
        .records()
        .map(Result::unwrap)
        .flat_map(|r| r.iter().map(str::to_string).collect::<Vec<_>>())
        .filter(|c| c.starts_with(['=', '@']))
        .collect::<Vec<_>>();
    assert!(all.is_empty(), "{all:?}");
    // The workbook alike.
    use calamine::Reader;
    let (st, bytes) = s
        .bytes(&Auth::Anonymous, "/api/facilities/export.xlsx")
        .await;
    assert_eq!(st, StatusCode::OK);
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names();
    let range = wb.worksheet_range(&names[0]).unwrap();
    let cells: Vec<String> = range.rows().flatten().map(|c| c.to_string()).collect();
    assert!(cells.contains(&format!("'{evil}")), "{cells:?}");
    assert!(!cells.iter().any(|c| c.starts_with('=')), "{cells:?}");
}
both!(exports_neutralise_formulas);

async fn imports_are_audited_per_record(s: &TestServer) {
    let admin = s.admin().await;
    let csv =
        "id,name,lon,lat,population\nIMP-1,甲社区,116.35,40.0,100\nIMP-2,乙社区,116.36,40.0,200\n";
    let (st, v) = s
        .upload(&admin, "/api/communities/import", csv, Some("text/csv"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let csv =
        "id,name,lon,lat,population\nIMP-1,丙社区,116.35,40.0,100\nIMP-2,乙社区,116.36,40.0,200\n";
    let (st, v) = s
        .upload(&admin, "/api/communities/import", csv, Some("text/csv"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s
        .get(&admin, "/api/audit?entity=community&entity_id=IMP-1")
        .await;
    let actions: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["import_update", "import_create"], "{v}");
    assert_eq!(
        v["items"][0]["detail"]["name"],
        json!({"from": "甲社区", "to": "丙社区"}),
        "what was overwritten: {v}"
    );
    // The unchanged record is not audited again; the summary counts.
    let (_, v) = s
        .get(&admin, "/api/audit?entity=community&entity_id=IMP-2")
        .await;
    assert_eq!(v["total"], json!(1), "{v}");
    let (_, v) = s
        .get(&admin, "/api/audit?entity=community&action=import")
        .await;
    assert_eq!(
        v["items"][0]["detail"],
        json!({"created": 0, "updated": 1}),
        "{v}"
    );
}
both!(imports_are_audited_per_record);

async fn search_is_alike_on_both_databases(s: &TestServer) {
    let admin = s.admin().await;
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": P, "name": "Furun Elderly Care 富润养老"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    for q in ["furun", "FURUN", "Elderly", "eLDERLY%20care", "富润"] {
        let (_, v) = s
            .get(&Auth::Anonymous, &format!("/api/providers?q={q}"))
            .await;
        assert_eq!(v["total"], json!(1), "q={q}: {v}");
    }
    let (_, v) = s.get(&Auth::Anonymous, "/api/providers?q=furun_").await;
    assert_eq!(v["total"], json!(0), "{v}");
    let (_, v) = s.get(&admin, "/api/users?q=ADMIN").await;
    assert_eq!(v["total"], json!(1), "{v}");
}
both!(search_is_alike_on_both_databases);

async fn tokens_expire_list_and_revoke(s: &TestServer) {
    let admin = s.admin().await;
    let (st, v) = s
        .post(&admin, "/api/providers", json!({"uscc": P, "name": "甲"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (uid, staff) = s
        .user(&admin, "p1", "provider_staff", json!({"provider_code": P}))
        .await;
    let (_, other) = s
        .user(&admin, "p2", "provider_staff", json!({"provider_code": P}))
        .await;
    // A token without a lifetime gets the default one.
    let now = lc_store::now_ms();
    let (st, v) = s
        .post(&staff, "/api/auth/tokens", json!({"name": "integration"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let expires = v["expires_at"].as_i64().expect("a default expiry");
    let days = lc_server::accounts::TOKEN_DEFAULT_DAYS * 86_400_000;
    assert!(
        (now + days - 60_000..=now + days + 60_000).contains(&expires),
        "{v}"
    );
    let tid = v["id"].as_i64().unwrap();
    let bearer = Auth::Bearer(v["token"].as_str().unwrap().into());
    let (st, _) = s.get(&bearer, "/api/auth/me").await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = s
        .post(
            &staff,
            "/api/auth/tokens",
            json!({"name": "x", "expires_in_days": 10_000}),
        )
        .await;
    assert_invalid(st, &v, "out_of_range");
    // Listed by the owner (never the token or its hash), not by another account.
    let (st, v) = s.get(&staff, "/api/auth/tokens").await;
    assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    assert_eq!(v["items"][0]["name"], json!("integration"));
    assert!(v["items"][0].get("token_hash").is_none() && v["items"][0].get("token").is_none());
    let (_, v) = s.get(&other, "/api/auth/tokens").await;
    assert_eq!(v["total"], json!(0));
    let (st, _) = s
        .get(&other, &format!("/api/auth/tokens?user_id={uid}"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .get(&admin, &format!("/api/auth/tokens?user_id={uid}"))
        .await;
    assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    // Revoked by the owner; another account cannot even see it.
    let (st, _) = s
        .call(&other, "DELETE", &format!("/api/auth/tokens/{tid}"), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.get(&bearer, "/api/auth/me").await;
    assert_eq!(st, StatusCode::OK, "still valid");
    let (st, _) = s
        .call(&staff, "DELETE", &format!("/api/auth/tokens/{tid}"), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.get(&bearer, "/api/auth/me").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Revoked by an administrator.
    let (_, v) = s
        .post(&staff, "/api/auth/tokens", json!({"name": "b"}))
        .await;
    let bearer = Auth::Bearer(v["token"].as_str().unwrap().into());
    let (st, _) = s
        .call(
            &admin,
            "DELETE",
            &format!("/api/auth/tokens/{}", v["id"]),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.get(&bearer, "/api/auth/me").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // A password change ends every token of the account.
    let (_, v) = s
        .post(&staff, "/api/auth/tokens", json!({"name": "c"}))
        .await;
    let bearer = Auth::Bearer(v["token"].as_str().unwrap().into());
    let (st, _) = s
        .post(
            &staff,
            "/api/auth/password",
            json!({"current_password": "password-123456", "new_password": "another-password-1"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.get(&bearer, "/api/auth/me").await;
    assert_eq!(
        st,
        StatusCode::UNAUTHORIZED,
        "a password change ends tokens"
    );
    // So does a reset by an administrator.
    let (_, v) = s
        .post(&staff, "/api/auth/tokens", json!({"name": "d"}))
        .await;
    let bearer = Auth::Bearer(v["token"].as_str().unwrap().into());
    let (st, _) = s
        .patch(
            &admin,
            &format!("/api/users/{uid}"),
            json!({"password": "reset-password-1"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.get(&bearer, "/api/auth/me").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "a reset ends tokens");
}
both!(tokens_expire_list_and_revoke);

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The fingerprint key lives in a 0600 file, not in the database; a key an older version
/// kept in the database is moved out; a mismatch or a lost key stops the start.
#[cfg(unix)]
async fn secrets_out_of_the_database(db: Db) {
    let Some(s) = TestServer::start(db, "secrets_out_of_the_database").await else {
        return;
    };
    let data = s.state().config.data_dir.clone();
    let key_file = data.join(lc_server::secrets::KEY_FILE);
    assert_eq!(mode(&key_file), 0o600);
    assert_eq!(mode(&data), 0o700);
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(key.trim().as_bytes(), s.state().pii_key.as_slice());
    assert_eq!(
        s.state()
            .store
            .setting(lc_server::secrets::LEGACY_SETTING)
            .await
            .unwrap(),
        None
    );
    if db == Db::Sqlite {
        let file = data.join("livingcircle.db");
        assert_eq!(mode(&file), 0o600);
        let wal = data.join("livingcircle.db-wal");
        if wal.exists() {
            assert_eq!(mode(&wal), 0o600);
        }
    }
    // A resident's fingerprint uses the file's key.
    let admin = s.admin().await;
    let (st, v) = s
        .post(
            &admin,
            "/api/residents",
            json!({"community_id": "110108010031", "name": "张三", "id_number": "11010519491231002X"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let store = s.state().store.clone();
    let url = s.state().config.database_url.clone();
    // A database whose key is lost cannot start with a new one.
    std::fs::remove_file(&key_file).unwrap();
    let restart =
        |dir: std::path::PathBuf, url: Option<String>, key: Option<String>| lc_server::Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: url,
            database_read_url: None,
            data_dir: dir,
            demo: lc_server::Demo::None,
            demo_password: None,
            admin_password: Some(ADMIN_PASSWORD.into()),
            secure_cookies: true,
            max_body: 1 << 20,
            pii_key: key,
            network: None,
        };
    let e = lc_server::prepare(restart(data.clone(), url.clone(), None))
        .await
        .err()
        .expect("refused without the key");
    assert!(e.to_string().contains("fingerprint"), "{e}");
    // The key from the environment variable works, and a legacy key in the database moves to
    // the file (and out of the database).
    let k = key.trim().to_string();
    store
        .setting_or_insert(lc_server::secrets::LEGACY_SETTING, &k)
        .await
        .unwrap();
    let wrong = "ab".repeat(32);
    let e = lc_server::prepare(restart(data.clone(), url.clone(), Some(wrong)))
        .await
        .err()
        .expect("refused with another key");
    assert!(e.to_string().contains("differs"), "{e}");
    assert!(!key_file.exists());
    let st2 = lc_server::prepare(restart(data.clone(), url.clone(), None))
        .await
        .unwrap();
    assert_eq!(st2.pii_key, k.as_bytes());
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().trim(), k);
    assert_eq!(mode(&key_file), 0o600);
    assert_eq!(
        store
            .setting(lc_server::secrets::LEGACY_SETTING)
            .await
            .unwrap(),
        None
    );
    drop(st2);
    s.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_out_of_the_database_sqlite() {
    secrets_out_of_the_database(Db::Sqlite).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_out_of_the_database_postgres() {
    secrets_out_of_the_database(Db::Postgres).await;
}

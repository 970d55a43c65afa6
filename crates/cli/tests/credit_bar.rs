//! Issue 13's bar, as a regulator meets it with the real binary on a fresh server (SQLite, no
//! other step): penalties imported in the 双公示 layout move the enterprise's class; a spot check
//! is announced, drawn on the server and verified by `livingcircle draw verify` from its
//! manifest alone (and a changed pool entry fails it); the results are published and the
//! public list verifies as the manifest's own; a practitioner's expiring health certificate
//! raises a warning that reaches the provider's staff and the regulator.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{assert_ok, bin, run, s, write};
use serde_json::{json, Value};

const PASSWORD: &str = "bar-admin-password-2026";
const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";
const AUTHORITY: &str = "11510107MB1535302N";
const SECRET: &str = "c0ffee00d15ea5e5badc0de5feedbeef";
const SOURCE: &str = "中国福利彩票3D 开奖号码（抽取日当晚）";

/// A signed-in caller.
struct Api {
    base: String,
    client: reqwest::Client,
    cookie: String,
    csrf: String,
}

impl Api {
    async fn login(base: &str, username: &str, password: &str) -> Api {
        let client = reqwest::Client::new();
        let resp = client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "login {username}");
        let cookie = resp.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let v: Value = resp.json().await.unwrap();
        Api {
            base: base.to_string(),
            client,
            cookie,
            csrf: v["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<(String, &str)>) -> (u16, String) {
        let mut rb = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some((text, kind)) = body {
            rb = rb.header("content-type", kind).body(text);
        }
        let resp = rb.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let body = (method != "GET").then(|| (body.to_string(), "application/json"));
        let (st, text) = self.send(method, path, body).await;
        (st, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Starts `livingcircle serve` in `dir`; the child and its address.
fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = bin()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--insecure-cookies",
            "--demo",
            "xueyuanlu",
        ])
        .current_dir(dir)
        .env("LIVINGCIRCLE_ADMIN_PASSWORD", PASSWORD)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("on http://").nth(1) {
                let _ = tx.send(rest.split('/').next().unwrap_or("").to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the server prints its address");
    (child, format!("http://{addr}"))
}

/// Today in China (UTC+8, no daylight saving), `days` later.
fn day(days: i64) -> String {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    now.date()
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regulator_on_a_fresh_server() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = start(dir.path());
    let admin = Api::login(&base, "admin", PASSWORD).await;
    for (code, name) in [(P, "甲家政服务有限公司"), (Q, "乙社区服务中心")] {
        let (st, v) = admin
            .call(
                "POST",
                "/api/providers",
                json!({"uscc": code, "name": name}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
    }
    for (id, owner) in [("P-1", P), ("P-2", P), ("Q-1", Q), ("Q-2", Q)] {
        let (st, v) = admin.call("POST", "/api/facilities", json!({"id": id, "name": format!("{id} 家政服务站"), "category": "community_canteen", "lon": 116.348, "lat": 39.998, "provider_code": owner, "division_code": "110108010"})).await;
        assert_eq!(st, 201, "{v}");
    }
    for (user, role, extra) in [
        ("regulator", "regulator", json!({})),
        ("staff-p", "provider_staff", json!({"provider_code": P})),
    ] {
        let mut body = json!({"username": user, "password": "password-123456", "role": role});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (st, v) = admin.call("POST", "/api/users", body).await;
        assert_eq!(st, 201, "{v}");
    }
    let regulator = Api::login(&base, "regulator", "password-123456").await;
    let staff = Api::login(&base, "staff-p", "password-123456").await;

    // 1. Penalties in the 双公示 layout: two this year for P → 35 points, class C.
    let header = "CF_XDR_MC,CF_XDR_SHXYM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_NR_FK,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM";
    let row = |doc: &str, decided: &str| {
        format!("甲家政服务有限公司,{P},{doc},未按规定公示收费标准,检查发现,《价格法》,罚款,\"罚款0.2万元\",0.2,{decided},海淀区市场监督管理局,{AUTHORITY},海淀区市场监督管理局,{AUTHORITY}")
    };
    let file = format!(
        "{header}\n{}\n{}\n",
        row("海市监罚〔2026〕101号", &day(-40)),
        row("海市监罚〔2026〕102号", &day(-10))
    );
    let (st, text) = regulator
        .send(
            "POST",
            "/api/credit/penalties/import",
            Some((file, "text/csv")),
        )
        .await;
    assert_eq!(st, 200, "{text}");
    let (_, v) = regulator
        .call("GET", "/api/credit/classes", json!({}))
        .await;
    assert_eq!(
        (
            &v["items"][0]["subject_uscc"],
            &v["items"][0]["risk_class"],
            &v["items"][0]["score"]
        ),
        (&json!(P), &json!("C"), &json!(35)),
        "{v}"
    );
    let (_, text) = staff.send("GET", "/api/credit/classes", None).await;
    assert!(!text.contains("risk_class\":\""), "{text}");

    // 2. The check item and the inspectors; I1 works for P.
    let (st, v) = regulator
        .call("POST", "/api/check-items", json!({"code": "JZ-01", "name": "家政服务明码标价和合同示范文本使用情况", "kind": "key", "qualifications": ["价格监督"]}))
        .await;
    assert_eq!(st, 201, "{v}");
    for (code, affiliation) in [
        ("I1", json!(P)),
        ("I2", json!(null)),
        ("I3", json!(null)),
        ("I4", json!(null)),
    ] {
        let (st, v) = regulator
            .call("POST", "/api/inspectors", json!({"code": code, "name": format!("检查员{code}"), "department": "海淀区市场监督管理局", "qualifications": ["价格监督"], "affiliation": affiliation}))
            .await;
        assert_eq!(st, 201, "{v}");
    }
    // 3. Announced with the seed fixed in advance, drawn on the server.
    let (st, v) = regulator
        .call("POST", "/api/spot-checks", json!({"label": "家政服务机构双随机抽查", "categories": ["community_canteen"], "division_code": "110108010", "check_items": ["JZ-01"], "seed_commitment": lc_credit::draw::commitment(SECRET), "public_value_sources": [SOURCE], "draw_on": day(0)}))
        .await;
    assert_eq!((st, &v["objects"]), (201, &json!(4)), "{v}");
    let id = v["id"].as_i64().unwrap();
    let (st, v) = regulator
        .call(
            "POST",
            &format!("/api/spot-checks/{id}/draw"),
            json!({"reveal": SECRET, "public_values": [{"source": SOURCE, "value": "3 1 4"}]}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    // C: ceil(2 × 40%) = 1 of P's outlets; A: ceil(2 × 5%) = 1 of Q's.
    assert_eq!(v["drawn"], json!(2), "{v}");

    // 4. `livingcircle draw verify` from the manifest alone, against what was announced.
    let (st, manifest) = regulator
        .send("GET", &format!("/api/spot-checks/{id}/manifest"), None)
        .await;
    assert_eq!(st, 200, "{manifest}");
    let m_path = write(dir.path(), "manifest.json", &manifest);
    let (_, announced) = regulator
        .call("GET", "/api/public/spot-checks", json!({}))
        .await;
    let a = &announced[0];
    let o = run(&[
        "draw",
        "verify",
        s(&m_path),
        "--objects-sha256",
        a["objects_sha256"].as_str().unwrap(),
        "--inspectors-sha256",
        a["inspectors_sha256"].as_str().unwrap(),
        "--commitment",
        a["seed_commitment"].as_str().unwrap(),
    ]);
    assert_ok(&o);
    let m: Value = serde_json::from_str(&manifest).unwrap();
    for d in m["result"]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["objects"].as_array().unwrap())
    {
        if d["provider_code"] == json!(P) {
            assert!(
                !d["inspectors"].as_array().unwrap().contains(&json!("I1")),
                "{d}"
            );
        }
    }
    let mut changed = m.clone();
    changed["objects"][0]["division_code"] = json!("110108010001");
    let changed = write(dir.path(), "changed.json", &changed.to_string());
    assert_eq!(run(&["draw", "verify", s(&changed)]).status.code(), Some(1));

    // 5. Results recorded and published; the public list is the manifest's own.
    let drawn: Vec<String> = m["result"]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["objects"].as_array().unwrap())
        .map(|d| d["object"].as_str().unwrap().to_string())
        .collect();
    for object in &drawn {
        let (st, v) = regulator
            .call(
                "POST",
                &format!("/api/spot-checks/{id}/results"),
                json!({"object_id": object, "outcome": "no_problem", "checked_on": day(0)}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = regulator
        .call("POST", &format!("/api/spot-checks/{id}/publish"), json!({}))
        .await;
    assert_eq!((st, &v["status"]), (200, &json!("published")), "{v}");
    let public = reqwest::get(format!("{base}/api/public/spot-checks/{id}/draw"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!public.contains("\"class\""), "{public}");
    let p_path = write(dir.path(), "public.json", &public);
    assert_ok(&run(&[
        "draw",
        "verify",
        s(&m_path),
        "--public",
        s(&p_path),
    ]));
    let results: Value = reqwest::get(format!("{base}/api/public/spot-check-results"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(results["count"], json!(2), "{results}");

    // 6. A health certificate expiring in 20 days: a warning for P's staff and the regulator.
    let (st, v) = staff
        .call("POST", "/api/practitioners", json!({"provider_code": P, "name": "赵桂兰", "kind": "housekeeper", "certificates": [{"name": "健康证", "number": "JK-2026-0419", "valid_until": day(20)}]}))
        .await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = regulator
        .call("POST", "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(st, 200, "{v}");
    for who in [&staff, &regulator] {
        let (_, v) = who.call("GET", "/api/warnings", json!({})).await;
        let rules: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"certificate_expiring"), "{v}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

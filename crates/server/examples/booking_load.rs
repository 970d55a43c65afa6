//! Load generator for bookings (issue 11's benchmark): against a running `livingcircle serve`
//! (with the demo district seeded), sets up canteens over the API, then sends bookings from many
//! concurrent clients and reports bookings per second and latency percentiles.
//!
//!   cargo run --release -p lc-server --example booking_load -- BASE_URL ADMIN_PASSWORD \
//!       [--requests N] [--concurrency C] [--scenario popular|many]
//!
//! - `popular`: every request asks for the same slot (capacity N/2: half win a seat, half are
//!   refused `slot_full` by the database's conditional update) — the contention case.
//! - `many`: requests spread over the slots of 20 canteens (about 28 slots each), every one wins.
//!
//! Each request is a community worker's proxy booking for a distinct resident, with its own
//! `Idempotency-Key`. Prints one JSON line with the figures; exits 1 if any answer was other
//! than 201 or 409 `slot_full`, or if the database's count of bookings differs from the 201s.
//! Driven by `bench/bookings/run.sh`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
const C1: &str = "110108010031";

struct Args {
    base: String,
    password: String,
    requests: usize,
    concurrency: usize,
    many: bool,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let base = it.next().ok_or("BASE_URL missing")?;
    let password = it.next().ok_or("ADMIN_PASSWORD missing")?;
    let mut a = Args {
        base: base.trim_end_matches('/').to_string(),
        password,
        requests: 2000,
        concurrency: 32,
        many: false,
    };
    while let Some(k) = it.next() {
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        match k.as_str() {
            "--requests" => a.requests = v.parse().map_err(|e| format!("--requests: {e}"))?,
            "--concurrency" => {
                a.concurrency = v.parse().map_err(|e| format!("--concurrency: {e}"))?
            }
            "--scenario" => {
                a.many = match v.as_str() {
                    "many" => true,
                    "popular" => false,
                    other => return Err(format!("unknown scenario {other}")),
                }
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if a.requests == 0 || a.concurrency == 0 {
        return Err("--requests and --concurrency must be positive".into());
    }
    Ok(a)
}

async fn call(
    c: &Client,
    token: &str,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = c.request(m, url).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("request");
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

/// A bearer token of an account (sign in, then make a token with the session).
async fn token(c: &Client, base: &str, user: &str, password: &str) -> String {
    let r = c
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .expect("login");
    assert!(r.status().is_success(), "login {user}: {}", r.status());
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.split(';').next())
        .expect("cookie")
        .to_string();
    let v: Value = r.json().await.expect("login body");
    let csrf = v["csrf_token"].as_str().expect("csrf").to_string();
    let r = c
        .post(format!("{base}/api/auth/tokens"))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .json(&json!({"name": "booking-load"}))
        .send()
        .await
        .expect("token");
    let v: Value = r.json().await.expect("token body");
    v["token"].as_str().expect("token").to_string()
}

fn plan() -> Value {
    let week: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!(["11:00-13:00"])))
        .collect();
    json!({"week": week})
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("booking_load: {e}");
            std::process::exit(2);
        }
    };
    let c = Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()
        .expect("client");
    let base = a.base.clone();
    let admin = token(&c, &base, "admin", &a.password).await;
    // The world: a provider, its canteens, a community worker of C1, the residents.
    call(
        &c,
        &admin,
        "POST",
        &format!("{base}/api/providers"),
        Some(json!({"uscc": P, "name": "助餐公司"})),
    )
    .await;
    let canteens = if a.many { 20 } else { 1 };
    let mut offerings = Vec::new();
    for i in 0..canteens {
        let id = format!("LOAD{i}");
        call(&c, &admin, "POST", &format!("{base}/api/facilities"), Some(json!({"id": id, "name": format!("助餐点{i}"), "category": "community_canteen", "lon": 116.348, "lat": 39.998, "provider_code": P}))).await;
        let capacity = if a.many {
            1000
        } else {
            (a.requests / 2).max(1)
        };
        let (st, v) = call(&c, &admin, "POST", &format!("{base}/api/offerings"), Some(json!({"facility_id": id, "service": "meal", "delivery": "outlet", "price_fen": 1500, "duration_min": 60, "capacity": capacity, "plan": plan()}))).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        offerings.push(v["id"].as_i64().expect("offering id"));
    }
    let (st, v) = call(&c, &admin, "POST", &format!("{base}/api/users"), Some(json!({"username": "load-worker", "password": "load-worker-pw-1", "role": "community_worker", "community_id": C1}))).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let worker = token(&c, &base, "load-worker", "load-worker-pw-1").await;
    let setup = Instant::now();
    let mut residents = Vec::with_capacity(a.requests);
    let ids: Vec<usize> = (0..a.requests).collect();
    for chunk in ids.chunks(32) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|i| {
                let (c, admin, base) = (c.clone(), admin.clone(), base.clone());
                let i = *i;
                tokio::spawn(async move {
                    let (st, v) = call(
                        &c,
                        &admin,
                        "POST",
                        &format!("{base}/api/residents"),
                        Some(json!({"community_id": C1, "name": format!("居民{i}")})),
                    )
                    .await;
                    assert_eq!(st, StatusCode::CREATED, "{v}");
                    v["id"].as_i64().expect("resident id")
                })
            })
            .collect();
        for t in tasks {
            residents.push(t.await.expect("resident task"));
        }
    }
    let mut slots = Vec::new();
    for o in &offerings {
        let (_, v) = call(
            &c,
            &admin,
            "GET",
            &format!("{base}/api/offerings/{o}/slots"),
            None,
        )
        .await;
        for s in v.as_array().expect("slots") {
            if s["bookable"] == json!(true) {
                slots.push((*o, s["start"].as_str().expect("start").to_string()));
            }
        }
    }
    assert!(!slots.is_empty(), "no bookable slot");
    let setup_s = setup.elapsed().as_secs_f64();

    // The load: `concurrency` clients take request numbers from a shared counter.
    let next = Arc::new(AtomicUsize::new(0));
    let residents = Arc::new(residents);
    let slots = Arc::new(slots);
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..a.concurrency {
        let (c, base, worker) = (c.clone(), base.clone(), worker.clone());
        let (next, residents, slots) = (next.clone(), residents.clone(), slots.clone());
        let (many, n) = (a.many, a.requests);
        handles.push(tokio::spawn(async move {
            let mut out: Vec<(Duration, u16)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let (o, start) = if many { &slots[i % slots.len()] } else { &slots[0] };
                let body = json!({"offering_id": o, "resident_id": residents[i], "start": start, "consent": {"method": "phone"}});
                let t = Instant::now();
                let r = c
                    .post(format!("{base}/api/bookings"))
                    .bearer_auth(&worker)
                    .header("idempotency-key", format!("load-{i}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("booking");
                let st = r.status().as_u16();
                let _ = r.bytes().await;
                out.push((t.elapsed(), st));
            }
            out
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("client task"));
    }
    let wall = started.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = all.iter().map(|(d, _)| d.as_secs_f64() * 1000.0).collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    let created = all.iter().filter(|(_, s)| *s == 201).count();
    let full = all.iter().filter(|(_, s)| *s == 409).count();
    let other = all.len() - created - full;
    // The database agrees: bookings stored equal the 201s.
    let mut stored = 0;
    for o in &offerings {
        let (_, v) = call(
            &c,
            &admin,
            "GET",
            &format!("{base}/api/bookings?offering_id={o}&limit=1"),
            None,
        )
        .await;
        stored += v["total"].as_i64().unwrap_or(-1);
    }
    println!(
        "{}",
        json!({
            "scenario": if a.many { "many" } else { "popular" }, "requests": all.len(),
            "concurrency": a.concurrency, "slots": if a.many { slots.len() } else { 1 },
            "created": created, "slot_full": full, "other": other, "bookings_in_db": stored,
            "wall_s": wall, "requests_per_s": all.len() as f64 / wall,
            "bookings_per_s": created as f64 / wall,
            "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99), "max_ms": pct(1.0),
            "setup_s": setup_s,
        })
    );
    if other > 0 || stored != created as i64 {
        eprintln!("booking_load: {other} unexpected answers, or the database holds {stored} bookings for {created} created");
        std::process::exit(1);
    }
}

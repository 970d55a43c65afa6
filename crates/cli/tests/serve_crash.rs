//! A `kill -9` of `livingcircle serve` while clients write loses no acknowledged write (issue 10):
//! every record the server answered 201 for is there after a restart, on the embedded SQLite
//! database and on PostgreSQL (a fresh database made from `DATABASE_URL`; required when `CI` is
//! set).

mod common;

use common::bin;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASSWORD: &str = "crash-test-Admin-2026";

/// Status, headers (lower-case names) and body of an answer.
type Answer = (u16, Vec<(String, String)>, String);

/// One HTTP/1.1 request; returns status, headers (lower-case names) and body, or `None` when the
/// connection fails (the server is gone).
fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<Answer> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.get(9..12)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some((status, headers, body.to_string()))
}

/// Starts the server; returns it with its address once it listens.
fn start(dir: &Path, database_url: Option<&str>) -> (Child, String) {
    let mut cmd = bin();
    cmd.args([
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
    .stderr(Stdio::piped());
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let mut child = cmd.spawn().unwrap();
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
    (child, addr)
}

/// Signs in as the administrator: (cookie header value, CSRF token).
fn login(addr: &str) -> (String, String) {
    let body = format!(r#"{{"username":"admin","password":"{PASSWORD}"}}"#);
    let (status, headers, body) =
        request(addr, "POST", "/api/auth/login", &[], &body).expect("login answers");
    assert_eq!(status, 200, "{body}");
    let cookie = headers
        .iter()
        .find(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap_or("").to_string())
        .expect("a session cookie");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    (cookie, v["csrf_token"].as_str().unwrap().to_string())
}

/// Writers create communities until the server dies under them; the server is killed with
/// SIGKILL mid-stream; after a restart every acknowledged community is read back.
fn acknowledged_writes_survive_kill_9(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path(), database_url);
    let (cookie, csrf) = login(&addr);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (addr, cookie, csrf) = (addr.clone(), cookie.clone(), csrf.clone());
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut failures = 0;
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) || failures > 20 {
                        break;
                    }
                    let id = format!("K9-{w}-{n}");
                    let body = format!(
                        r#"{{"id":"{id}","name":"崩溃测试 {w}-{n}","lon":116.34,"lat":39.99,"population":{}}}"#,
                        1000 + n
                    );
                    match request(
                        &addr,
                        "POST",
                        "/api/communities",
                        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
                        &body,
                    ) {
                        Some((201, _, _)) => acked.lock().unwrap().push(id),
                        Some((status, _, body)) => panic!("{id}: {status} {body}"),
                        None => failures += 1,
                    }
                }
            })
        })
        .collect();
    // Let the writers get going, then kill the server while requests are in flight.
    let t0 = std::time::Instant::now();
    while acked.lock().unwrap().len() < 40 && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the server was killed, not stopped: {status}"
    );
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 40,
        "only {} writes before the kill",
        acked.len()
    );

    // Restart on the same database: every acknowledged write is there, whole.
    let (mut child, addr) = start(dir.path(), database_url);
    let mut missing = Vec::new();
    for id in &acked {
        match request(&addr, "GET", &format!("/api/communities/{id}"), &[], "") {
            Some((200, _, body)) => {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert_eq!(v["id"].as_str(), Some(id.as_str()), "{body}");
                assert!(v["population"].as_f64().unwrap_or(0.0) >= 1000.0, "{body}");
            }
            other => missing.push((id.clone(), other.map(|o| o.0))),
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost after kill -9: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)]
    );
}

#[test]
fn kill_9_loses_no_acknowledged_write_on_sqlite() {
    acknowledged_writes_survive_kill_9(None);
}

#[test]
fn kill_9_loses_no_acknowledged_write_on_postgresql() {
    let url = match std::env::var("DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => u,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but DATABASE_URL names no PostgreSQL database"
            );
            eprintln!("DATABASE_URL is not a PostgreSQL URL: the PostgreSQL half is not run");
            return;
        }
    };
    // A database of its own, made and dropped through psql.
    let name = format!("lc_kill9_{}", std::process::id());
    let psql = |sql: &str| {
        let out = Command::new("psql")
            .args([url.as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            .output()
            .expect("psql (PostgreSQL's client) is needed for this test");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
    psql(&format!("CREATE DATABASE {name}"));
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    let db_url = format!("{base}/{name}");
    acknowledged_writes_survive_kill_9(Some(&db_url));
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

//! `livingcircle serve` as a user runs it: no other step, an embedded database in a fresh data
//! directory, the demo city's communities listed and services found near one on foot; SIGTERM stops it cleanly. And
//! `livingcircle divisions import` on a slice of the real national list.

mod common;

use common::{assert_ok, bin, division_list, refused};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A plain HTTP/1.1 GET; returns status and body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_answers_and_lists_the_demo_communities() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Keep draining the server's log so it never writes into a closed pipe.
    let drain = std::thread::spawn(move || {
        let mut log = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("on http://").nth(1) {
                let _ = tx.send(rest.split('/').next().unwrap_or("").to_string());
            }
            log.push(line);
        }
        log
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints its address");
    let (status, body) = get(&addr, "/api/health");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    // The demo city: central Chengdu, with its walking network.
    let (status, body) = get(&addr, "/api/communities?limit=1");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], serde_json::json!(206));
    let (status, body) = get(&addr, "/api/communities/CD-N1947168658");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("星辰苑"), "{body}");
    let (status, body) = get(
        &addr,
        "/api/public/nearby?service=meal&community=CD-N1947168658&max_m=3000",
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(!v["items"].as_array().unwrap().is_empty(), "{body}");
    assert_eq!(v["items"][0]["category"], "community_canteen", "{body}");
    let accounts =
        std::fs::read_to_string(dir.path().join("livingcircle-data/demo-accounts.txt")).unwrap();
    let users: Vec<&str> = accounts
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        users,
        ["admin", "resident", "provider", "worker", "regulator"]
    );
    assert!(dir
        .path()
        .join("livingcircle-data/livingcircle.db")
        .exists());
    assert!(dir
        .path()
        .join("livingcircle-data/initial-admin-password.txt")
        .exists());
    // SIGTERM: graceful shutdown, exit status 0.
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = child.wait().unwrap();
    let log = drain.join().unwrap().join("\n");
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("request_id"), "structured request logs: {log}");
    assert!(log.contains("walking network of the demo city"), "{log}");
    assert!(log.contains("demo-accounts.txt"), "{log}");
}

fn beijing_slice(dst: &Path) -> bool {
    let src = division_list();
    if !src.join("villages.csv").exists() {
        eprintln!("NOTICE: {} not found; skipping", src.display());
        return false;
    }
    for f in [
        "provinces.csv",
        "cities.csv",
        "areas.csv",
        "streets.csv",
        "villages.csv",
    ] {
        let text = std::fs::read_to_string(src.join(f)).unwrap();
        let out: Vec<&str> = text
            .lines()
            .enumerate()
            .filter(|(i, l)| *i == 0 || l.starts_with("11"))
            .map(|x| x.1)
            .collect();
        std::fs::write(dst.join(f), out.join("\n") + "\n").unwrap();
    }
    true
}

#[test]
fn divisions_import_reads_the_real_list() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list");
    std::fs::create_dir(&list).unwrap();
    if !beijing_slice(&list) {
        return;
    }
    let import = || {
        bin()
            .args(["divisions", "import"])
            .arg(&list)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = import();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ok(&out);
    assert!(stdout.contains("1 province, "), "{stdout}");
    assert!(!stdout.contains("1 provinces"), "{stdout}");
    assert!(stdout.contains("省级 1、"), "{stdout}");
    assert!(stdout.contains("community/village committees"), "{stdout}");
    // A broken list is refused with file and line, exit status 2.
    std::fs::write(
        list.join("cities.csv"),
        "code,name,provinceCode\n1101,\"市辖区\",12\n",
    )
    .unwrap();
    let stderr = refused(&import());
    assert!(
        stderr.contains("cities.csv 第 2 行 line 2, 字段 field 'provinceCode': 上级 '12' 不是代码 1101 的前缀 parent '12' is not the prefix of code 1101"),
        "{stderr}"
    );
}

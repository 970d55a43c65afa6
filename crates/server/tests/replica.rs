//! The streaming read replica (issue 16 item 5): with `DATABASE_READ_URL` (the cluster that
//! `tools/pg-replica/start.sh` makes; `.ci/run` runs the server tests a second time with it) the
//! public reads are served by a standby, and a write's answer waits until the standby has
//! applied it (read-your-writes). Without `DATABASE_READ_URL` these tests print a notice and
//! pass without running (the replica-less run of `.ci/run`).

#[macro_use]
mod common;

use std::time::Duration;

use common::{Auth, Db, TestServer};
use lc_store::sqlx::{self, Connection};
use reqwest::StatusCode;
use serde_json::json;

/// A server on a fresh PostgreSQL database with its replica, or `None` (notice printed) when
/// `DATABASE_READ_URL` is unset.
async fn replicated(test: &str) -> Option<TestServer> {
    if lc_store::testdb::read_admin_url().is_none() {
        eprintln!("NOTICE: DATABASE_READ_URL is not set; skipping {test}");
        return None;
    }
    let s = TestServer::start(Db::Postgres, test).await?;
    assert!(s.state().store.has_replica(), "the server took no replica");
    Some(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reader_is_a_standby_and_the_writer_the_primary() {
    let Some(s) = replicated("the_reader_is_a_standby_and_the_writer_the_primary").await else {
        return;
    };
    let store = &s.state().store;
    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(store.reader())
        .await
        .unwrap();
    let primary: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!((standby, primary), (true, false));
    let sync: String = sqlx::query_scalar("SELECT current_setting('synchronous_commit')")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(sync, "remote_apply");
    s.stop().await;
}

/// With the standby's replay paused: a row committed on the primary (by a plain session, which
/// waits for nobody) is not seen by the public read, which the standby serves; and a write
/// through the API is not answered until replay resumes, after which the very next public read
/// sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_answered_once_the_replica_has_it() {
    let Some(s) = replicated("a_write_is_answered_once_the_replica_has_it").await else {
        return;
    };
    let admin = s.admin().await;
    let mut standby = sqlx::PgConnection::connect(&lc_store::testdb::read_admin_url().unwrap())
        .await
        .unwrap();
    let primary_url = s.state().config.database_url.clone().unwrap();
    let mut primary = sqlx::PgConnection::connect(&primary_url).await.unwrap();
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&mut standby)
        .await
        .unwrap();
    sqlx::query("INSERT INTO communities (id, name, division_code, lon, lat, population, created_at, updated_at) VALUES ('C-DIRECT', '直写社区', '110108010001', 116.34, 39.99, 100, 0, 0)")
        .execute(&mut primary)
        .await
        .unwrap();
    let (direct_while_paused, _) = s.get(&Auth::Anonymous, "/api/communities/C-DIRECT").await;
    let body = json!({"id": "C-REPLICA", "name": "副本社区", "division_code": "110108010001",
        "lon": 116.34, "lat": 39.99, "population": 3000, "elderly": 500, "children_0_3": 80,
        "households": 1000});
    let write = {
        let (client, base, admin) = (s.client.clone(), s.base.clone(), admin.clone());
        tokio::spawn(async move {
            admin
                .apply(client.post(format!("{base}/api/communities")))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let answered_while_paused = write.is_finished();
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&mut standby)
        .await
        .unwrap();
    assert_eq!(
        direct_while_paused,
        StatusCode::NOT_FOUND,
        "the public read saw a row the standby has not replayed: it was not served by the standby"
    );
    assert!(
        !answered_while_paused,
        "the write was answered before the standby applied it"
    );
    assert_eq!(write.await.unwrap(), StatusCode::CREATED);
    let (st, v) = s.get(&Auth::Anonymous, "/api/communities/C-REPLICA").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["name"], json!("副本社区"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_without_a_synchronous_standby_is_refused() {
    let Some(primary) = lc_store::testdb::postgres_admin_url("replica_refused") else {
        return;
    };
    // The primary itself is no standby: refused with the reason.
    let e = lc_store::Store::open_with_replica(&primary, Some(&primary))
        .await
        .err()
        .expect("a primary as its own replica");
    // (Without a synchronous standby streaming, for that; else as no standby.)
    let msg = e.to_string();
    assert!(
        msg.contains("synchronous_standby_names") || msg.contains("pg_is_in_recovery"),
        "{msg}"
    );
    // SQLite has no replica.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let e = lc_store::Store::open_with_replica(&url, Some(&primary))
        .await
        .err()
        .expect("SQLite with a replica");
    assert!(e.to_string().contains("PostgreSQL"), "{e}");
}

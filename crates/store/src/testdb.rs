//! Fresh databases for tests: a new SQLite file, or a uniquely named PostgreSQL database
//! created through `DATABASE_URL` (which CI sets). Used by this crate's and the server's tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, Row};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// `DATABASE_URL` if set and PostgreSQL; else, on a developer's machine, prints a notice naming
/// the test and returns `None` (the test skips its PostgreSQL run).
///
/// # Panics
/// When the environment variable `CI` is set (to anything but `false` or `0`) and there is no
/// PostgreSQL URL: in CI a PostgreSQL run fails rather than passing without running.
pub fn postgres_admin_url(test: &str) -> Option<String> {
    let url = std::env::var("DATABASE_URL").ok();
    let ci = std::env::var("CI").ok();
    match admin_url_or_skip(url, ci.as_deref()) {
        Ok(u) => u,
        Err(e) => panic!("{test}: {e}"),
    }
}

/// The decision of [`postgres_admin_url`]: the URL, a skip (`Ok(None)`), or the failure in CI.
fn admin_url_or_skip(url: Option<String>, ci: Option<&str>) -> Result<Option<String>, String> {
    let in_ci = ci.is_some_and(|v| !matches!(v.trim(), "" | "0" | "false"));
    match url {
        Some(u) if u.starts_with("postgres") => Ok(Some(u)),
        other if in_ci => Err(format!(
            "CI is set but DATABASE_URL is {}: the PostgreSQL tests must run in CI",
            match other {
                Some(_) => "not a postgres:// URL",
                None => "unset",
            }
        )),
        _ => {
            eprintln!(
                "NOTICE: DATABASE_URL is not set to a postgres:// URL; skipping the PostgreSQL run"
            );
            Ok(None)
        }
    }
}

fn with_database(url: &str, db: &str) -> String {
    // postgres://user@host:port/dbname?params → replace dbname.
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host_part = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

/// Creates a new, empty PostgreSQL database and returns its URL. Test databases of earlier
/// runs older than an hour are dropped on the way.
pub async fn fresh_postgres(admin_url: &str) -> Result<String, sqlx::Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = format!(
        "lc_test_{now}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    let old = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'lc\\_test\\_%'")
        .fetch_all(&mut conn)
        .await?;
    for row in old {
        let db: String = row.try_get(0)?;
        let made: u64 = db
            .split('_')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX);
        if made.saturating_add(3600) < now {
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS {db}").as_str())
                .await;
        }
    }
    if read_admin_url().is_some() {
        // With a synchronous read replica (tools/pg-replica), the database exists on it when
        // CREATE DATABASE returns.
        conn.execute("SET synchronous_commit = remote_apply")
            .await?;
    }
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    Ok(with_database(admin_url, &name))
}

/// `DATABASE_READ_URL`, when set to a postgres:// URL: a streaming read replica of the server
/// of `DATABASE_URL` (`tools/pg-replica/start.sh`), on which every test database appears by
/// itself.
pub fn read_admin_url() -> Option<String> {
    std::env::var("DATABASE_READ_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// The replica's URL of a database made by [`fresh_postgres`] (`None` without
/// `DATABASE_READ_URL`), once the database can be connected to there.
///
/// # Panics
/// When the database does not appear on the replica within 30 seconds (it does not stream).
pub async fn replica_of(url: &str) -> Option<String> {
    let admin = read_admin_url()?;
    let name = url.split('?').next()?.rsplit('/').next()?.to_string();
    let replica = with_database(&admin, &name);
    for _ in 0..300 {
        if let Ok(c) = sqlx::PgConnection::connect(&replica).await {
            let _ = c.close().await;
            return Some(replica);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("database {name} did not appear on the read replica {admin} within 30 s");
}

/// Drops a database made by [`fresh_postgres`] (best effort).
pub async fn drop_postgres(admin_url: &str, url: &str) {
    let Some(name) = url
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| n.starts_with("lc_test_"))
    else {
        return;
    };
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
        let _ = conn.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_runs_fail_in_ci_without_a_url() {
        let pg = Some("postgres://postgres@127.0.0.1:5432/test".to_string());
        assert_eq!(admin_url_or_skip(pg.clone(), Some("true")), Ok(pg.clone()));
        assert_eq!(admin_url_or_skip(pg.clone(), None), Ok(pg));
        assert_eq!(admin_url_or_skip(None, None), Ok(None));
        assert_eq!(admin_url_or_skip(None, Some("false")), Ok(None));
        assert!(admin_url_or_skip(None, Some("true")).is_err());
        assert!(admin_url_or_skip(None, Some("1")).is_err());
        assert!(admin_url_or_skip(Some("sqlite://x".into()), Some("true")).is_err());
    }

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}

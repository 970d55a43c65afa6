//! Fresh databases for tests: a new SQLite file, or a uniquely named PostgreSQL database
//! created through `DATABASE_URL` (which CI sets). Used by this crate's and the server's tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, Row};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// `DATABASE_URL` if set and PostgreSQL; else prints a notice naming the test and returns `None`.
pub fn postgres_admin_url(test: &str) -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => Some(u),
        _ => {
            eprintln!("NOTICE: DATABASE_URL is not set to a postgres:// URL; skipping the PostgreSQL run of {test}");
            None
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
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    Ok(with_database(admin_url, &name))
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

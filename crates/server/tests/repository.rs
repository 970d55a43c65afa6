//! The domains' repository functions against real databases: a fresh SQLite file and a fresh
//! PostgreSQL database (from DATABASE_URL; a failure, not a skip, when CI is set). What the
//! store's generic record operations were tested for, now for the explicit queries.

use lc_registry::records::{check_new, CommunityInput};
use lc_server::domains::registry::{communities, practitioners, residents};
use lc_server::web::{Filter, Page};
use lc_store::sql::{prefix_pattern, search_pattern};
use lc_store::{Actor, Store, StoreError};
use serde_json::json;

use communities::CommunityRow;

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

fn community(id: &str, name: &str, division: Option<&str>) -> CommunityRow {
    CommunityRow {
        id: id.into(),
        name: name.into(),
        division_code: division.map(str::to_string),
        lon: 116.347908,
        lat: 39.998503,
        population: 6200.0,
        households: Some(2210.0),
        elderly: None,
        children_0_3: Some(140.0),
        boundary: None,
        created_at: lc_store::now_ms(),
        updated_at: lc_store::now_ms(),
        version: 0,
    }
}

fn filter(search: Option<&str>, division: Option<&str>, limit: i64, offset: i64) -> Filter {
    Filter {
        search: search.map(search_pattern),
        division: division.map(prefix_pattern),
        page: Page { limit, offset },
    }
}

async fn ids(store: &Store, f: &Filter) -> (Vec<String>, i64) {
    let mut conn = store.pool().acquire().await.unwrap();
    let (rows, total) = communities::list_rows(&mut conn, store.backend(), f)
        .await
        .unwrap();
    (rows.into_iter().map(|r| r.id).collect(), total)
}

async fn records_round_trip(store: Store) {
    let row = community("c1", "富润家园", None);
    let mut tx = store.begin().await.unwrap();
    communities::insert(tx.conn(), &row).await.unwrap();
    tx.audit(&Actor::default(), "create", "community", "c1", json!({}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let got = communities::get_row(store.pool(), "c1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, row);

    // Duplicate keys are reported as such.
    let mut tx = store.begin().await.unwrap();
    let e = communities::insert(tx.conn(), &row).await.unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    drop(tx);

    // Compare-and-set: the update lands at the version read, and only there.
    let mut changed = row.clone();
    changed.population = 6300.5;
    let mut tx = store.begin().await.unwrap();
    assert!(communities::update(tx.conn(), &changed, 0).await.unwrap());
    assert!(
        !communities::update(tx.conn(), &changed, 0).await.unwrap(),
        "version 0 is gone"
    );
    let mut other = changed.clone();
    other.id = "zz".into();
    assert!(!communities::update(tx.conn(), &other, 0).await.unwrap());
    tx.commit().await.unwrap();
    let got = communities::get_row(store.pool(), "c1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.population, got.households, got.version),
        (6300.5, Some(2210.0), 1)
    );

    // Lists: prefix and search with LIKE wildcards escaped, pages.
    let mut tx = store.begin().await.unwrap();
    for (id, name, div) in [
        ("c2", "学清苑", "110108010035"),
        ("c3", "100%_园", "110108010036"),
        ("c4", "月清园", "120101001001"),
    ] {
        communities::insert(tx.conn(), &community(id, name, Some(div)))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        ids(&store, &filter(None, Some("110108"), 1, 1)).await,
        (vec!["c3".to_string()], 2)
    );
    assert_eq!(ids(&store, &filter(Some("%_"), None, 10, 0)).await.1, 1);
    assert_eq!(ids(&store, &filter(Some("清"), None, 10, 0)).await.1, 2);
    assert_eq!(
        ids(&store, &filter(Some("C4"), None, 10, 0)).await.0,
        ["c4"]
    );
    let mut conn = store.pool().acquire().await.unwrap();
    let all = communities::all_rows(&mut conn, store.backend(), &filter(None, None, 1, 0))
        .await
        .unwrap();
    assert_eq!(all.len(), 4, "exports take every row");
    drop(conn);

    // Settings keep their first value.
    assert_eq!(store.setting_or_insert("k", "a").await.unwrap(), "a");
    assert_eq!(store.setting_or_insert("k", "b").await.unwrap(), "a");
    assert!(store.delete_setting("k").await.unwrap());
    assert_eq!(store.setting("k").await.unwrap(), None);
}
both!(records_round_trip);

/// The same cached statements, first with NULLs in number columns, then with numbers.
async fn nulls_then_numbers(store: Store) {
    for i in 0..20 {
        let v = (i % 2 == 1).then_some(i as f64 + 0.5);
        let mut row = community(&format!("n{i}"), "x", None);
        (row.households, row.elderly, row.children_0_3) = (v, v, v);
        let mut tx = store.begin().await.unwrap();
        communities::insert(tx.conn(), &row)
            .await
            .unwrap_or_else(|e| panic!("row {i}: {e}"));
        assert!(communities::update(tx.conn(), &row, 0).await.unwrap());
        tx.commit().await.unwrap();
    }
    let got = communities::get_row(store.pool(), "n7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.households, Some(7.5));
    let got = communities::get_row(store.pool(), "n8")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.elderly, None);
}
both!(nulls_then_numbers);

/// Search folds ASCII case alike on both databases (PostgreSQL's LIKE is case-sensitive, so
/// a plain LIKE found "Fu" there but not "fu"), and only ASCII case: "é" finds "é", not "É".
async fn search_is_alike_on_both(store: Store) {
    let mut tx = store.begin().await.unwrap();
    for (id, name) in [
        ("s1", "Furun Garden 富润家园"),
        ("s2", "LANXI 兰溪"),
        ("s3", "Émile Café"),
        ("s4", "50%_off"),
    ] {
        communities::insert(tx.conn(), &community(id, name, None))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let found = |q: &str| {
        let f = filter(Some(q), None, 100, 0);
        let store = store.clone();
        async move { ids(&store, &f).await.0 }
    };
    assert_eq!(found("furun").await, ["s1"]);
    assert_eq!(found("FURUN").await, ["s1"]);
    assert_eq!(found("Lanxi").await, ["s2"]);
    assert_eq!(found("富润").await, ["s1"]);
    assert_eq!(
        found("CAFÉ").await,
        Vec::<String>::new(),
        "only ASCII case folds"
    );
    assert_eq!(found("café").await, ["s3"]);
    assert_eq!(found("%_").await, ["s4"], "wildcards are literal");
}
both!(search_is_alike_on_both);

/// NUL (and every other control character) never reaches a repository: the checked record
/// types cannot hold it (PostgreSQL would fail the statement; SQLite would store it).
#[test]
fn nul_in_text_is_refused_by_the_checked_types() {
    let e = check_new::<CommunityInput>(json!({
        "id": "n\u{0}ul", "name": "x\u{0}", "lon": 116.0, "lat": 39.0, "population": 1.0
    }))
    .unwrap_err();
    let fields: Vec<(&str, &str)> = e.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(
        fields,
        [("id", "control_character"), ("name", "control_character")]
    );
}

/// One record per person, enforced by the database (issue 10): a second resident with the same
/// ID-number fingerprint is refused as a duplicate whatever the caller checked before; records
/// without an ID number are not constrained; practitioners are unique per provider.
async fn one_record_per_id_number(store: Store) {
    let resident = |name: &str, hash: Option<&str>| residents::ResidentRow {
        id: 0,
        community_id: "c1".into(),
        name: name.into(),
        phone: None,
        id_number_masked: None,
        id_number_hash: hash.map(str::to_string),
        address: None,
        user_id: None,
        created_at: 1,
        updated_at: 1,
        version: 0,
    };
    let mut tx = store.begin().await.unwrap();
    residents::insert(tx.conn(), &resident("甲", Some("h1")))
        .await
        .unwrap();
    residents::insert(tx.conn(), &resident("乙", None))
        .await
        .unwrap();
    residents::insert(tx.conn(), &resident("丙", None))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let e = residents::insert(tx.conn(), &resident("甲二", Some("h1")))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    drop(tx);
    // National, not per province: on PostgreSQL `residents` is partitioned by province
    // (migration 0019) and the key lives in `resident_id_numbers`. A person registered in
    // Beijing (11) cannot be registered again in Sichuan (51), nor moved onto by an update.
    let in_province = |name: &str, community: &str, hash: Option<&str>| residents::ResidentRow {
        community_id: community.into(),
        ..resident(name, hash)
    };
    let mut tx = store.begin().await.unwrap();
    let beijing = residents::insert(tx.conn(), &in_province("京", "110108010031", Some("h3")))
        .await
        .unwrap();
    let sichuan = residents::insert(tx.conn(), &in_province("蜀", "510104021001", None))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let e = residents::insert(tx.conn(), &in_province("蜀二", "510104021001", Some("h3")))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let taken = residents::ResidentRow {
        id: sichuan,
        ..in_province("蜀", "510104021001", Some("h3"))
    };
    let e = residents::update(tx.conn(), &taken, 0).await.unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    drop(tx);
    // Moving to Sichuan keeps the number (the row changes partition on PostgreSQL); letting it
    // go frees it for another record, and a rolled-back claim holds nothing.
    let mut tx = store.begin().await.unwrap();
    let moved = residents::ResidentRow {
        id: beijing,
        ..in_province("京", "510104021001", Some("h3"))
    };
    assert!(residents::update(tx.conn(), &moved, 0).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let e = residents::insert(tx.conn(), &in_province("京二", "110108010031", Some("h3")))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let cleared = residents::ResidentRow {
        id: beijing,
        ..in_province("京", "510104021001", None)
    };
    assert!(residents::update(tx.conn(), &cleared, 1).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    residents::insert(tx.conn(), &in_province("京二", "110108010031", Some("h3")))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let practitioner = |provider: &str| practitioners::PractitionerRow {
        id: 0,
        provider_code: provider.into(),
        name: "家政员".into(),
        kind: "housekeeper".into(),
        phone: None,
        id_number_masked: None,
        id_number_hash: Some("h2".into()),
        certificates: Some("[]".into()),
        created_at: 1,
        updated_at: 1,
        version: 0,
    };
    let mut tx = store.begin().await.unwrap();
    practitioners::insert(tx.conn(), &practitioner("P1"))
        .await
        .unwrap();
    practitioners::insert(tx.conn(), &practitioner("P2"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let e = practitioners::insert(tx.conn(), &practitioner("P1"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
}
both!(one_record_per_id_number);

/// On PostgreSQL the big tables are partitioned by province (migrations 0018 and 0019, issue 16
/// item 5): a resident's row lies in its province's partition (a community id is its 12-digit
/// division code), one that is not a division code in the DEFAULT partition, and a resident who
/// moves is moved with the update.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tables_are_partitioned_by_province() {
    let Some(admin) =
        lc_store::testdb::postgres_admin_url("postgres_tables_are_partitioned_by_province")
    else {
        return;
    };
    let url = lc_store::testdb::fresh_postgres(&admin).await.unwrap();
    let store = Store::open(&url).await.unwrap();
    let tables: Vec<String> = lc_store::sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "bookings",
            "care_visits",
            "indicator_series",
            "residents",
            "reviews"
        ]
    );
    let partition = |id: i64| {
        let store = store.clone();
        async move {
            lc_store::sqlx::query_scalar::<_, String>(
                "SELECT tableoid::regclass::text FROM residents WHERE id = $1",
            )
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap()
        }
    };
    let row = |community: &str, hash: &str| residents::ResidentRow {
        id: 0,
        community_id: community.into(),
        name: "居民".into(),
        phone: None,
        id_number_masked: None,
        id_number_hash: Some(hash.into()),
        address: None,
        user_id: None,
        created_at: 1,
        updated_at: 1,
        version: 0,
    };
    let mut tx = store.begin().await.unwrap();
    let a = residents::insert(tx.conn(), &row("110108010031", "a"))
        .await
        .unwrap();
    let b = residents::insert(tx.conn(), &row("510104021001", "b"))
        .await
        .unwrap();
    let c = residents::insert(tx.conn(), &row("c1", "c")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(partition(a).await, "residents_p11");
    assert_eq!(partition(b).await, "residents_p51");
    assert_eq!(partition(c).await, "residents_pother");
    let mut tx = store.begin().await.unwrap();
    let moved = residents::ResidentRow {
        id: a,
        ..row("510104021001", "a")
    };
    assert!(residents::update(tx.conn(), &moved, 0).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(partition(a).await, "residents_p51");
    let held: i64 = lc_store::sqlx::query_scalar(
        "SELECT resident_id FROM resident_id_numbers WHERE id_number_hash = 'a'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(held, a);
    store.close().await;
    lc_store::testdb::drop_postgres(&admin, &url).await;
}

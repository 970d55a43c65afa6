//! The connection pool, migrations and the generic record operations on both databases.
//!
//! Everything goes through sqlx's `Any` driver with `$1`-style placeholders, which SQLite and
//! PostgreSQL both accept, so every query here runs unchanged on both; the test suite runs
//! against both. Only the bulk division import has a backend-specific fast path
//! (`COPY` on PostgreSQL, see `divisions.rs`).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migrate, Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::StoreError;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (WAL).
    Sqlite,
    /// PostgreSQL (or a compatible distributed engine).
    Postgres,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The schema history, embedded from `migrations/{sqlite,postgres}` by `build.rs`:
/// `(version, description, SQL)`. Append only: an applied migration is never edited (sqlx's
/// migrator compares checksums and refuses to start otherwise).
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// The latest schema version this build knows.
pub fn schema_version() -> i64 {
    embedded::SQLITE.last().map(|m| m.0).unwrap_or(0)
}

/// The version of every migration this build knows, in order (numbers may skip: each branch of
/// the history takes its own).
pub fn schema_versions() -> Vec<i64> {
    embedded::SQLITE.iter().map(|m| m.0).collect()
}

/// The embedded migrations of one backend, as sqlx's migrator takes them.
#[derive(Debug)]
struct Embedded(Backend);

type Resolved<'s> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>>
            + Send
            + 's,
    >,
>;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> Resolved<'s> {
        Box::pin(async move { Ok(migrations(self.0)) })
    }
}

fn migrations(backend: Backend) -> Vec<Migration> {
    let list = match backend {
        Backend::Sqlite => embedded::SQLITE,
        Backend::Postgres => embedded::POSTGRES,
    };
    list.iter()
        .map(|(version, desc, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*desc),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect()
}

/// Whether a table exists (in the connection's schema).
async fn table_exists(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let sql = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let n: i64 = sqlx::query_scalar(sql)
        .bind(name.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

/// Adopts a database made by the runner of earlier versions (its history in
/// `schema_migrations`, without checksums): the versions it applied are recorded in sqlx's
/// `_sqlx_migrations` with the checksums of this build's files and the old table is dropped, in
/// one transaction. No record changes; the migrator then applies what is missing.
async fn adopt_old_history(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    known: &[Migration],
) -> Result<(), StoreError> {
    if !table_exists(conn, backend, "schema_migrations").await? {
        return Ok(());
    }
    let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut *conn)
        .await?;
    let old: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    let mut tx = conn.begin().await?;
    if recorded == 0 {
        for v in old {
            let m = known
                .iter()
                .find(|m| m.version == v)
                .ok_or(StoreError::UnknownMigration(v))?;
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, TRUE, $3, 0)",
            )
            .bind(v)
            .bind(m.description.to_string())
            .bind(m.checksum.to_vec())
            .execute(&mut *tx)
            .await?;
            tracing::info!(
                version = v,
                "migration history adopted from schema_migrations"
            );
        }
    }
    sqlx::query("DROP TABLE schema_migrations")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The platform's database: a pool plus what the record operations need.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) url: String,
    /// A streaming read replica's pool (PostgreSQL), for the public reads ([`Store::reader`]).
    read_pool: Option<AnyPool>,
    /// SQLite allows one writer: write transactions queue here instead of failing as busy.
    write_lock: Arc<Mutex<()>>,
}

/// Connects the read replica's pool, after checking that the primary (`primary`) has a
/// synchronous standby streaming and that `read_url` is a server in recovery (a standby).
async fn open_replica(primary: &AnyPool, read_url: &str) -> Result<AnyPool, StoreError> {
    let names: String = sqlx::query_scalar("SELECT current_setting('synchronous_standby_names')")
        .fetch_one(primary)
        .await?;
    let sync: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum')",
    )
    .fetch_one(primary)
    .await?;
    if names.trim().is_empty() || sync == 0 {
        return Err(StoreError::Replica(format!(
            "主库没有正在同步的同步备库（synchronous_standby_names = '{names}'），只读副本可能读不到刚写入的数据；见 tools/pg-replica/start.sh | the primary has no synchronous standby streaming (synchronous_standby_names = '{names}'), so reads on the replica could miss the writes just made: see tools/pg-replica/start.sh"
        )));
    }
    let pool = AnyPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(30))
        .connect(read_url)
        .await?;
    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&pool)
        .await?;
    if !standby {
        return Err(StoreError::Replica(
            "只读副本地址指向的不是备库（pg_is_in_recovery() 为假） | the read replica URL names a server that is not a standby (pg_is_in_recovery() is false)".into(),
        ));
    }
    Ok(pool)
}

/// Who changed something, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// Account id (`None` for the system itself, e.g. seeding).
    pub user_id: Option<i64>,
    /// Role key.
    pub role: Option<String>,
    /// Request id of the HTTP request.
    pub request_id: Option<String>,
}

/// Per-connection settings: SQLite waits for locks instead of failing, enforces foreign
/// keys, and syncs at WAL checkpoints only.
async fn connection_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    if conn.backend_name() == "SQLite" {
        for p in [
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 30000",
            "PRAGMA synchronous = NORMAL",
        ] {
            conn.execute(p).await?;
        }
    }
    Ok(())
}

/// On the primary of a deployment with a read replica: every commit of this connection returns
/// once the synchronous standby has applied it, so a read on the replica after a write sees it.
async fn remote_apply(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    connection_pragmas(conn).await?;
    conn.execute("SET synchronous_commit = remote_apply")
        .await?;
    Ok(())
}

impl Store {
    /// Opens a database by URL (`sqlite://FILE` creates the file; `postgres://…`), and applies
    /// the migrations that are missing.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with_replica(url, None).await
    }

    /// [`Store::open`], with a streaming read replica of the same PostgreSQL database when
    /// `read_url` is given: the public reads ([`Store::reader`]) go to it, everything else to
    /// the primary. The primary's connections then commit with `synchronous_commit =
    /// remote_apply`; the primary must list the replica in `synchronous_standby_names` and it
    /// must be streaming as such, else the store refuses to open ([`StoreError::Replica`]):
    /// a reader could otherwise miss the writes it has just made.
    pub async fn open_with_replica(url: &str, read_url: Option<&str>) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Url(url.to_string()));
        };
        let mut url = url.to_string();
        if backend == Backend::Sqlite && !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let read_url = read_url.filter(|u| !u.is_empty());
        if let Some(r) = read_url {
            if backend != Backend::Postgres
                || !(r.starts_with("postgres:") || r.starts_with("postgresql:"))
            {
                return Err(StoreError::Replica(
                    "只有 PostgreSQL 主库可配置只读副本，其地址须为 postgres://… | a read replica is for a PostgreSQL primary only, and its URL must be postgres://…".into(),
                ));
            }
        }
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(30));
        let pool = if read_url.is_some() {
            options.after_connect(|conn, _| Box::pin(remote_apply(conn)))
        } else {
            options.after_connect(|conn, _| Box::pin(connection_pragmas(conn)))
        }
        .connect(&url)
        .await?;
        let read_pool = match read_url {
            Some(r) => Some(open_replica(&pool, r).await?),
            None => None,
        };
        if backend == Backend::Sqlite {
            sqlx::raw_sql("PRAGMA journal_mode = WAL;")
                .execute(&pool)
                .await?;
        }
        let store = Store {
            pool,
            backend,
            url,
            read_pool,
            write_lock: Arc::new(Mutex::new(())),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens (creating it if needed) the SQLite file `path`.
    pub async fn open_sqlite(path: &std::path::Path) -> Result<Store, StoreError> {
        Store::open(&format!("sqlite://{}", path.display())).await
    }

    /// The connection pool (reads outside a write transaction).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool of the public reads: the read replica's when one is configured, else the
    /// primary's. Only for reads that need not see a write of the same request (the replica
    /// is read-only); with the primary's `remote_apply` commits they see every write whose
    /// request has been answered.
    pub fn reader(&self) -> &AnyPool {
        self.read_pool.as_ref().unwrap_or(&self.pool)
    }

    /// A connection of [`Store::reader`], for a public read that runs several statements.
    pub async fn read_conn(&self) -> Result<sqlx::pool::PoolConnection<Any>, StoreError> {
        Ok(self.reader().acquire().await?)
    }

    /// Whether a read replica serves [`Store::reader`].
    pub fn has_replica(&self) -> bool {
        self.read_pool.is_some()
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pools (waits for connections to be returned).
    pub async fn close(&self) {
        if let Some(r) = &self.read_pool {
            r.close().await;
        }
        self.pool.close().await;
    }

    /// Applies the missing migrations with sqlx's migrator: under its lock (an advisory lock on
    /// PostgreSQL, so that servers starting together migrate once), checking the checksum of
    /// every migration applied before. A database of the runner of earlier versions is adopted
    /// first ([`adopt_old_history`]).
    async fn migrate(&self) -> Result<(), StoreError> {
        let _guard = self.write_lock.clone().lock_owned().await;
        let migrator = Migrator::new(Embedded(self.backend)).await?;
        let mut conn = self.pool.acquire().await?;
        conn.lock().await?;
        let result = async {
            conn.ensure_migrations_table().await?;
            let known: Vec<Migration> = migrator.iter().cloned().collect();
            adopt_old_history(&mut conn, self.backend, &known).await?;
            migrator.run(&mut *conn).await?;
            Ok::<(), StoreError>(())
        }
        .await;
        let unlocked = conn.unlock().await;
        result?;
        unlocked?;
        Ok(())
    }

    /// The schema version the database is at.
    pub async fn current_version(&self) -> Result<i64, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    /// A cheap round trip (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    /// Starts a write transaction (on SQLite, after the previous writer has finished).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        // On SQLite the write lock is taken at BEGIN (IMMEDIATE): a transaction that reads
        // first (the rules that read stored state) and writes later would otherwise fail as
        // busy, without waiting, when it upgrades while a finished writer's rollback is pending.
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            tx,
            backend: self.backend,
            _guard: guard,
        })
    }

    pub(crate) async fn write_guard(&self) -> Option<OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }

    /// A setting's value.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Removes a setting (e.g. a secret moved out of the database); whether it was there.
    pub async fn delete_setting(&self, key: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key.to_string())
            .execute(&mut *tx.tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Stores a setting unless it is already set; returns the value in force.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key.to_string())
        .bind(value.to_string())
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(self
            .setting(key)
            .await?
            .unwrap_or_else(|| value.to_string()))
    }
}

/// A write transaction: record operations plus the audit trail, committed together.
pub struct Tx {
    pub(crate) tx: Transaction<'static, Any>,
    backend: Backend,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    /// The transaction's connection, for repository functions.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Writes an audit-trail entry in this transaction.
    pub async fn audit(
        &mut self,
        actor: &Actor,
        action: &str,
        entity: &str,
        entity_id: &str,
        detail: Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_role, action, entity, entity_id, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(now_ms())
        .bind(actor.user_id)
        .bind(actor.role.clone())
        .bind(action.to_string())
        .bind(entity.to_string())
        .bind(entity_id.to_string())
        .bind(actor.request_id.clone())
        .bind(detail.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

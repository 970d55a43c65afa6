//! The connection pool, migrations and the generic record operations on both databases.
//!
//! Everything goes through sqlx's `Any` driver with `$1`-style placeholders, which SQLite and
//! PostgreSQL both accept, so every query here runs unchanged on both; the test suite runs
//! against both. Only the bulk division import has a backend-specific fast path
//! (`COPY` on PostgreSQL, see `divisions.rs`).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Number, Value};
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migrate, Migration, MigrationSource, MigrationType, Migrator};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Connection, Executor, Row, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{classify, StoreError};
use crate::schema::{Col, ColType, Table, AUDIT_LOG};

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
    /// SQLite allows one writer: write transactions queue here instead of failing as busy.
    write_lock: Arc<Mutex<()>>,
}

/// One condition of a list query. Column names come from the code, never from a client.
#[derive(Debug, Clone)]
pub enum Cond {
    /// `col = value`.
    Eq(&'static str, Value),
    /// `col` starts with the text (`LIKE 'text%'`, wildcards escaped).
    Prefix(&'static str, String),
    /// Any of the columns contains the text (`LIKE '%text%'`).
    Search(&'static [&'static str], String),
    /// `col > value`.
    Gt(&'static str, Value),
    /// `col < value`.
    Lt(&'static str, Value),
    /// `col <> value`.
    Ne(&'static str, Value),
    /// `col IS NULL`.
    IsNull(&'static str),
}

/// A page of a list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Conditions, all of which must hold.
    pub conds: Vec<Cond>,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
    /// Newest (largest key) first.
    pub desc: bool,
}

impl ListQuery {
    /// All rows matching `conds` (up to `limit`).
    pub fn new(conds: Vec<Cond>, limit: i64) -> ListQuery {
        ListQuery {
            conds,
            limit,
            offset: 0,
            desc: false,
        }
    }
}

/// One page of rows and the number of all matching rows.
#[derive(Debug, Clone)]
pub struct Page {
    /// The rows of this page.
    pub items: Vec<Map<String, Value>>,
    /// How many rows match in all.
    pub total: i64,
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

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

fn bind<'q>(
    q: AnyQuery<'q>,
    ty: ColType,
    v: &Value,
    col: &str,
) -> Result<AnyQuery<'q>, StoreError> {
    let bad = |what: &str| StoreError::Column {
        column: col.to_string(),
        problem: format!("{what}: {v}"),
    };
    Ok(match (ty, v) {
        (ColType::Text, Value::Null) => q.bind(None::<String>),
        // sqlx 0.8's Any driver declares a NULL f64 to PostgreSQL as float4, so a cached
        // statement first run with a NULL there refuses a later f64 ("incorrect binary data
        // format"); a NULL f32 is declared float8. Regression test: `nulls_then_numbers`.
        (ColType::Real, Value::Null) => q.bind(None::<f32>),
        (ColType::Int, Value::Null) => q.bind(None::<i64>),
        // PostgreSQL cannot store NUL in text; refused alike on both databases.
        (ColType::Text, Value::String(s)) if s.contains('\0') => {
            return Err(StoreError::InvalidText(col.to_string()))
        }
        (ColType::Text, Value::String(s)) => q.bind(s.clone()),
        (ColType::Text, other) => q.bind(other.to_string()),
        (ColType::Real, Value::Number(n)) => q.bind(n.as_f64().ok_or_else(|| bad("not a number"))?),
        (ColType::Int, Value::Number(n)) => {
            q.bind(n.as_i64().ok_or_else(|| bad("not an integer"))?)
        }
        (ColType::Int, Value::Bool(b)) => q.bind(*b as i64),
        (ColType::Int, Value::String(s)) => {
            q.bind(s.parse::<i64>().map_err(|_| bad("not an integer"))?)
        }
        _ => return Err(bad("wrong type")),
    })
}

/// Binds the arguments of a [`where_clause`].
fn bind_args<'q>(
    mut q: AnyQuery<'q>,
    args: &[(ColType, Value, &'static str)],
) -> Result<AnyQuery<'q>, StoreError> {
    for (ty, v, c) in args {
        q = bind(q, *ty, v, c)?;
    }
    Ok(q)
}

/// The value written to a column of a new row: `now` for the timestamps, else the row's
/// value (NULL when absent).
fn new_value(c: &Col, row: &Map<String, Value>, now: &Value) -> Value {
    match c.name {
        "created_at" | "updated_at" => now.clone(),
        _ => row.get(c.name).cloned().unwrap_or(Value::Null),
    }
}

/// One record by key, in the pool or in a transaction.
async fn get_row<'e>(
    ex: impl Executor<'e, Database = Any>,
    t: &Table,
    key: &Value,
) -> Result<Option<Map<String, Value>>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = $1",
        select_list(t),
        t.name,
        t.key
    );
    let q = bind(sqlx::query(&sql), t.cols[0].ty, key, t.key)?;
    match q.fetch_optional(ex).await? {
        Some(row) => Ok(Some(read_row(t, &row)?)),
        None => Ok(None),
    }
}

fn read_row(t: &Table, row: &AnyRow) -> Result<Map<String, Value>, StoreError> {
    let mut m = Map::new();
    for (i, c) in t.cols.iter().enumerate() {
        let err = |e: sqlx::Error| StoreError::Column {
            column: format!("{}.{}", t.name, c.name),
            problem: e.to_string(),
        };
        let v = match c.ty {
            ColType::Text => row
                .try_get::<Option<String>, _>(i)
                .map_err(err)?
                .map(Value::String),
            ColType::Real => row
                .try_get::<Option<f64>, _>(i)
                .map_err(err)?
                .and_then(Number::from_f64)
                .map(Value::Number),
            ColType::Int => row
                .try_get::<Option<i64>, _>(i)
                .map_err(err)?
                .map(|x| Value::Number(x.into())),
        };
        m.insert(c.name.to_string(), v.unwrap_or(Value::Null));
    }
    Ok(m)
}

fn select_list(t: &Table) -> String {
    t.cols.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

/// Builds ` WHERE …` for conditions, numbering placeholders from `first`.
fn where_clause(
    backend: Backend,
    t: &Table,
    conds: &[Cond],
    first: usize,
) -> (String, Vec<(ColType, Value, &'static str)>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    let mut n = first;
    let ty = |c: &str| t.col(c).map(|c| c.ty).unwrap_or(ColType::Text);
    for cond in conds {
        match cond {
            Cond::Eq(c, v) | Cond::Gt(c, v) | Cond::Lt(c, v) | Cond::Ne(c, v) => {
                let op = match cond {
                    Cond::Eq(..) => "=",
                    Cond::Gt(..) => ">",
                    Cond::Lt(..) => "<",
                    _ => "<>",
                };
                parts.push(format!("{c} {op} ${n}"));
                args.push((ty(c), v.clone(), *c));
                n += 1;
            }
            Cond::Prefix(c, s) => {
                parts.push(format!("{c} LIKE ${n} ESCAPE '\\'"));
                args.push((
                    ColType::Text,
                    Value::String(format!("{}%", escape_like(s))),
                    *c,
                ));
                n += 1;
            }
            Cond::Search(cols, s) => {
                // Case-insensitive for ASCII letters only, alike on both databases: SQLite's
                // LIKE folds ASCII case; on PostgreSQL both sides are folded with LOWER under
                // the "C" collation, which folds only ASCII letters too.
                let pat = Value::String(format!("%{}%", escape_like(&s.to_ascii_lowercase())));
                let mut ors = Vec::new();
                for c in cols.iter() {
                    ors.push(match backend {
                        Backend::Sqlite => format!("{c} LIKE ${n} ESCAPE '\\'"),
                        Backend::Postgres => {
                            format!("LOWER({c} COLLATE \"C\") LIKE ${n} ESCAPE '\\'")
                        }
                    });
                    args.push((ColType::Text, pat.clone(), *c));
                    n += 1;
                }
                parts.push(format!("({})", ors.join(" OR ")));
            }
            Cond::IsNull(c) => parts.push(format!("{c} IS NULL")),
        }
    }
    if parts.is_empty() {
        (String::new(), args)
    } else {
        (format!(" WHERE {}", parts.join(" AND ")), args)
    }
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

impl Store {
    /// Opens a database by URL (`sqlite://FILE` creates the file; `postgres://…`), and applies
    /// the migrations that are missing.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
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
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| Box::pin(connection_pragmas(conn)))
            .connect(&url)
            .await?;
        if backend == Backend::Sqlite {
            sqlx::raw_sql("PRAGMA journal_mode = WAL;")
                .execute(&pool)
                .await?;
        }
        let store = Store {
            pool,
            backend,
            url,
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

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
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

    /// One record by key.
    pub async fn get(
        &self,
        t: &Table,
        key: &Value,
    ) -> Result<Option<Map<String, Value>>, StoreError> {
        get_row(&self.pool, t, key).await
    }

    /// The first record matching all conditions.
    pub async fn find_one(
        &self,
        t: &Table,
        conds: Vec<Cond>,
    ) -> Result<Option<Map<String, Value>>, StoreError> {
        Ok(self
            .find(t, ListQuery::new(conds, 1))
            .await?
            .into_iter()
            .next())
    }

    /// Rows matching a query, without counting them all.
    pub async fn find(
        &self,
        t: &Table,
        lq: ListQuery,
    ) -> Result<Vec<Map<String, Value>>, StoreError> {
        let (wh, args) = where_clause(self.backend, t, &lq.conds, 1);
        let n = args.len() + 1;
        let sql = format!(
            "SELECT {} FROM {}{wh} ORDER BY {} {} LIMIT ${n} OFFSET ${}",
            select_list(t),
            t.name,
            t.key,
            if lq.desc { "DESC" } else { "ASC" },
            n + 1
        );
        let rows = bind_args(sqlx::query(&sql), &args)?
            .bind(lq.limit)
            .bind(lq.offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| read_row(t, r)).collect()
    }

    /// Number of rows matching all conditions.
    pub async fn count(&self, t: &Table, conds: &[Cond]) -> Result<i64, StoreError> {
        let (wh, args) = where_clause(self.backend, t, conds, 1);
        let sql = format!("SELECT COUNT(*) FROM {}{wh}", t.name);
        let q = bind_args(sqlx::query(&sql), &args)?;
        Ok(q.fetch_one(&self.pool).await?.try_get::<i64, _>(0)?)
    }

    /// A page of rows and the total count.
    pub async fn list(&self, t: &Table, lq: ListQuery) -> Result<Page, StoreError> {
        let total = self.count(t, &lq.conds).await?;
        let items = self.find(t, lq).await?;
        Ok(Page { items, total })
    }

    /// Inserts one row outside an explicit transaction (logs, sessions).
    pub async fn insert(&self, t: &Table, row: &Map<String, Value>) -> Result<Value, StoreError> {
        let mut tx = self.begin().await?;
        let key = tx.insert(t, row).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Deletes rows matching all conditions (at least one condition is required).
    pub async fn delete_where(&self, t: &Table, conds: &[Cond]) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let n = tx.delete_where(t, conds).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// A setting's value.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(&crate::schema::SETTINGS, &Value::String(key.into()))
            .await?
            .and_then(|m| m.get("value").and_then(Value::as_str).map(str::to_string)))
    }

    /// Removes a setting (e.g. a secret moved out of the database); whether it was there.
    pub async fn delete_setting(&self, key: &str) -> Result<bool, StoreError> {
        let n = self
            .delete_where(
                &crate::schema::SETTINGS,
                &[Cond::Eq("key", Value::String(key.into()))],
            )
            .await?;
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

    /// One record by key, inside the transaction.
    pub async fn get(
        &mut self,
        t: &Table,
        key: &Value,
    ) -> Result<Option<Map<String, Value>>, StoreError> {
        get_row(&mut *self.tx, t, key).await
    }

    /// Inserts a row: the columns given (others NULL), timestamps set; returns the key.
    pub async fn insert(
        &mut self,
        t: &Table,
        row: &Map<String, Value>,
    ) -> Result<Value, StoreError> {
        let now = Value::Number(now_ms().into());
        let mut cols = Vec::new();
        let mut vals = Vec::new();
        for c in t.cols {
            if t.auto_key && c.name == t.key {
                continue;
            }
            cols.push(*c);
            vals.push(new_value(c, row, &now));
        }
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING {}",
            t.name,
            names.join(", "),
            marks.join(", "),
            t.key
        );
        let mut q = sqlx::query(&sql);
        for (c, v) in cols.iter().zip(&vals) {
            q = bind(q, c.ty, v, c.name)?;
        }
        let r = q
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| classify(e, t.key))?;
        Ok(match t.cols[0].ty {
            ColType::Int => Value::Number(r.try_get::<i64, _>(0)?.into()),
            _ => Value::String(r.try_get::<String, _>(0)?),
        })
    }

    /// Inserts many rows of a table with a database-assigned key, several hundred per statement
    /// (bulk imports of assessment rows); returns how many were written.
    pub async fn insert_many(
        &mut self,
        t: &Table,
        rows: &[Map<String, Value>],
    ) -> Result<u64, StoreError> {
        let now = Value::Number(now_ms().into());
        let cols: Vec<_> = t
            .cols
            .iter()
            .filter(|c| !(t.auto_key && c.name == t.key))
            .collect();
        // Stay well under both databases' limits on bound parameters per statement.
        let per = (4000 / cols.len().max(1)).max(1);
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        let mut written = 0;
        for chunk in rows.chunks(per) {
            let groups: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let marks: Vec<String> = (0..cols.len())
                        .map(|k| format!("${}", r * cols.len() + k + 1))
                        .collect();
                    format!("({})", marks.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                t.name,
                names.join(", "),
                groups.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for c in &cols {
                    q = bind(q, c.ty, &new_value(c, row, &now), c.name)?;
                }
            }
            written += q
                .execute(&mut *self.tx)
                .await
                .map_err(|e| classify(e, t.key))?
                .rows_affected();
        }
        Ok(written)
    }

    /// Inserts or replaces by key (bulk imports); `created_at` is kept on replace.
    pub async fn upsert(&mut self, t: &Table, row: &Map<String, Value>) -> Result<(), StoreError> {
        let now = Value::Number(now_ms().into());
        let cols: Vec<_> = t.cols.iter().collect();
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sets: Vec<String> = cols
            .iter()
            .filter(|c| c.name != t.key && c.name != "created_at")
            .map(|c| format!("{0} = excluded.{0}", c.name))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
            t.name,
            names.join(", "),
            marks.join(", "),
            t.key,
            sets.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for c in cols {
            q = bind(q, c.ty, &new_value(c, row, &now), c.name)?;
        }
        q.execute(&mut *self.tx)
            .await
            .map_err(|e| classify(e, "listing_number"))?;
        Ok(())
    }

    /// Updates the given columns of one row; `false` if no row has the key.
    pub async fn update(
        &mut self,
        t: &Table,
        key: &Value,
        row: &Map<String, Value>,
    ) -> Result<bool, StoreError> {
        let mut sets = Vec::new();
        let mut binds = Vec::new();
        for c in t.cols {
            if c.name == t.key || c.name == "created_at" {
                continue;
            }
            let v = if c.name == "updated_at" {
                Value::Number(now_ms().into())
            } else if let Some(v) = row.get(c.name) {
                v.clone()
            } else {
                continue;
            };
            binds.push((*c, v));
            sets.push(format!("{} = ${}", c.name, binds.len()));
        }
        if sets.is_empty() {
            return Ok(self.get(t, key).await?.is_some());
        }
        let sql = format!(
            "UPDATE {} SET {} WHERE {} = ${}",
            t.name,
            sets.join(", "),
            t.key,
            binds.len() + 1
        );
        let mut q = sqlx::query(&sql);
        for (c, v) in &binds {
            q = bind(q, c.ty, v, c.name)?;
        }
        q = bind(q, t.cols[0].ty, key, t.key)?;
        let done = q
            .execute(&mut *self.tx)
            .await
            .map_err(|e| classify(e, "listing_number"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes rows matching all conditions (at least one is required).
    pub async fn delete_where(&mut self, t: &Table, conds: &[Cond]) -> Result<u64, StoreError> {
        if conds.is_empty() {
            return Ok(0);
        }
        let (wh, args) = where_clause(self.backend, t, conds, 1);
        let sql = format!("DELETE FROM {}{wh}", t.name);
        let q = bind_args(sqlx::query(&sql), &args)?;
        Ok(q.execute(&mut *self.tx).await?.rows_affected())
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
        let mut m = Map::new();
        m.insert("at".into(), Value::Number(now_ms().into()));
        m.insert(
            "actor_id".into(),
            actor.user_id.map(Into::into).unwrap_or(Value::Null),
        );
        m.insert(
            "actor_role".into(),
            actor.role.clone().map(Value::String).unwrap_or(Value::Null),
        );
        m.insert("action".into(), Value::String(action.into()));
        m.insert("entity".into(), Value::String(entity.into()));
        m.insert("entity_id".into(), Value::String(entity_id.into()));
        m.insert(
            "request_id".into(),
            actor
                .request_id
                .clone()
                .map(Value::String)
                .unwrap_or(Value::Null),
        );
        m.insert("detail".into(), Value::String(detail.to_string()));
        self.insert(&AUDIT_LOG, &m).await?;
        Ok(())
    }
}

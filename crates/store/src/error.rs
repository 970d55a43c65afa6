//! Store errors.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL names no supported database.
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://…")]
    Url(String),
    /// The database reported an error.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A unique constraint (primary key, username, listing number) was violated.
    #[error("a record with this {0} already exists")]
    Duplicate(String),
    /// A value did not fit its column (a programming error or a corrupt row).
    #[error("column {column}: {problem}")]
    Column {
        /// Table and column.
        column: String,
        /// What is wrong.
        problem: String,
    },
    /// A text holds a character no database column may hold (NUL).
    #[error("column {0}: the text holds a NUL character")]
    InvalidText(String),
    /// A migration failed to apply.
    #[error("迁移失败 migration failed: {0}")]
    Migration(sqlx::migrate::MigrateError),
    /// A migration applied to this database differs from the same migration of this build.
    #[error("迁移 {0} 已应用于此数据库，但本程序中的该迁移文件已被修改（校验和不符）；请恢复原文件，改动另写成新的迁移 | migration {0} was applied to this database, but its file in this build has been edited since (checksum mismatch): restore the file and put the change in a new migration")]
    MigrationEdited(i64),
    /// The database holds a migration this build does not know (a newer build made it).
    #[error("数据库已应用本程序不认识的迁移 {0}（由更新的版本创建），请使用该版本或更新的版本 | the database has migration {0}, which this build does not know (a newer build made it): use that build or a newer one")]
    UnknownMigration(i64),
    /// The read replica cannot serve reads that see the primary's writes.
    #[error("只读副本 read replica: {0}")]
    Replica(String),
    /// The national division list could not be read or is inconsistent.
    #[error("{0}")]
    Divisions(String),
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        use sqlx::migrate::MigrateError as M;
        match e {
            M::VersionMismatch(v) => StoreError::MigrationEdited(v),
            M::VersionMissing(v) => StoreError::UnknownMigration(v),
            M::Execute(e) => StoreError::Db(e),
            other => StoreError::Migration(other),
        }
    }
}

/// Turns unique-constraint violations into [`StoreError::Duplicate`].
pub(crate) fn classify(e: sqlx::Error, what: &str) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        let unique = d.is_unique_violation()
            || d.code()
                .is_some_and(|c| c == "23505" || c == "2067" || c == "1555");
        if unique {
            return StoreError::Duplicate(what.to_string());
        }
    }
    StoreError::Db(e)
}

impl StoreError {
    /// Whether the database could not be reached (as opposed to refusing a statement).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
            )
        )
    }
}

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
    /// A migration failed.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// Version number.
        version: i64,
        /// File name.
        name: &'static str,
        /// The database error.
        #[source]
        source: sqlx::Error,
    },
    /// The national division list could not be read or is inconsistent.
    #[error("{0}")]
    Divisions(String),
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

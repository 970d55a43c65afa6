//! What repository functions share: binding values alike on both databases, LIKE patterns,
//! ASCII case folding for search, reading rows into structs ([`from_row!`](crate::from_row)),
//! and telling a unique violation from other errors.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

use crate::db::Backend;
use crate::error::StoreError;

/// A query on either database.
pub type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// Binds that differ from sqlx's plain `bind`.
pub trait BindExt: Sized {
    /// Binds an optional real number. sqlx 0.8's `Any` driver declares a NULL `f64` to
    /// PostgreSQL as float4, so that a cached statement first run with a NULL refuses a later
    /// f64 ("incorrect binary data format"); a NULL `f32` is declared float8. Regression test:
    /// `nulls_then_numbers`.
    fn bind_real(self, v: Option<f64>) -> Self;
}

impl BindExt for AnyQuery<'_> {
    fn bind_real(self, v: Option<f64>) -> Self {
        match v {
            Some(x) => self.bind(x),
            None => self.bind(None::<f32>),
        }
    }
}

/// Escapes LIKE's wildcards (`\` is the escape character: write `ESCAPE '\'`).
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The LIKE pattern of texts beginning with `s`.
pub fn prefix_pattern(s: &str) -> String {
    format!("{}%", escape_like(s))
}

/// The LIKE pattern of a search for `s` in a [`fold`]ed column: ASCII letters lower-cased.
pub fn search_pattern(s: &str) -> String {
    format!("%{}%", escape_like(&s.to_ascii_lowercase()))
}

/// A column as searched: case-insensitive for ASCII letters only, alike on both databases.
/// SQLite's LIKE folds ASCII case by itself; on PostgreSQL the column is folded with LOWER
/// under the "C" collation, which folds only ASCII letters too.
pub fn fold(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Sqlite => col.to_string(),
        Backend::Postgres => format!("LOWER({col} COLLATE \"C\")"),
    }
}

/// A write's error: a unique violation becomes [`StoreError::Duplicate`] of `what`.
pub fn unique(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| crate::error::classify(e, what)
}

/// Implements `sqlx::FromRow` for `AnyRow` on a struct whose fields are named like the
/// columns: `from_row!(CommunityRow { id, name, … })` (the compiler checks that every field is
/// listed).
#[macro_export]
macro_rules! from_row {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl<'r> $crate::sqlx::FromRow<'r, $crate::sqlx::any::AnyRow> for $name {
            fn from_row(
                row: &'r $crate::sqlx::any::AnyRow,
            ) -> ::std::result::Result<Self, $crate::sqlx::Error> {
                use $crate::sqlx::Row as _;
                Ok($name {
                    $($field: row.try_get(stringify!($field))?),*
                })
            }
        }
    };
}

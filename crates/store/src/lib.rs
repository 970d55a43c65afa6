//! Storage of livingcircle's service platform: one schema on an embedded SQLite file and on
//! PostgreSQL, through sqlx.
//!
//! * [`Store::open`] connects by URL and applies the migrations (`migrations/sqlite`,
//!   `migrations/postgres`: the same tables, column for column; a test keeps them in step).
//! * Repository functions live with their domains (`lc-server`'s `domains`): explicit SQL with
//!   `$1` placeholders on [`Store::pool`] or a write transaction's [`Tx::conn`]; [`sql`] has
//!   what they share. A change's audit entry is written in its transaction ([`Tx::audit`]).
//! * [`Store::import_division_dir`] imports the national division list in one transaction.
//! * [`testdb`] makes fresh databases for tests.

mod db;
mod divisions;
mod error;
pub mod sql;
pub mod testdb;

pub use db::{now_ms, schema_version, schema_versions, Actor, Backend, Store, Tx};
pub use divisions::{read_division_dir, DivisionRow, ImportStats};
pub use error::StoreError;
pub use sqlx;

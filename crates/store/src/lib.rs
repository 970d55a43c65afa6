//! Storage of livingcircle's service platform: one schema on an embedded SQLite file and on
//! PostgreSQL, through sqlx.
//!
//! * [`Store::open`] connects by URL and applies the migrations (`migrations/sqlite`,
//!   `migrations/postgres`: the same tables, column for column; a test keeps them in step).
//! * Record operations are generic over a [`schema::Table`]: rows are JSON objects whose keys
//!   are the table's columns. Validation happens before (in `lc-registry`); the store only
//!   stores, with an audit entry in the same transaction ([`Tx::audit`]).
//! * [`Store::import_division_dir`] imports the national division list in one transaction.
//! * [`testdb`] makes fresh databases for tests.

mod db;
mod divisions;
mod error;
pub mod schema;
pub mod sql;
pub mod testdb;

pub use db::{now_ms, schema_version, Actor, Backend, Cond, ListQuery, Page, Store, Tx};
pub use divisions::{read_division_dir, DivisionRow, ImportStats};
pub use error::StoreError;
pub use sqlx;

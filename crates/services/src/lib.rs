//! The pure rules of services for residents (issue 11), no I/O: what the server's `services` and
//! `care` domains check and decide inside their write transactions.
//!
//! - [`time`]: civil time in Asia/Shanghai against instants in UTC milliseconds; months.
//! - [`money`]: amounts in fen (分), parsed from and shown as yuan.
//! - [`catalogue`]: the vocabulary of service types and what an outlet offers.
//! - [`plan`]: weekly opening plans with exceptions and public holidays, and the slots they make.
//! - [`booking`]: a booking's life as a state machine, cancellation rules, no-shows.
//! - [`care`]: the register of elderly people in special difficulty and their entitlements.
//! - [`ledger`]: the subsidy ledger in double entry.
//! - [`visits`]: monthly visits (探访关爱) and the monthly visit rate.
//! - [`childcare`]: childcare places (托位): enrolments with a waiting list.
//! - [`monitor`]: the platform's monthly indicators and their roll-up by division code.
//! - [`home_beds`]: home elderly-care beds (家庭养老床位): contracts and the visits they promise.

pub mod booking;
pub mod care;
pub mod catalogue;
pub mod childcare;
pub mod home_beds;
pub mod ledger;
pub mod money;
pub mod monitor;
pub mod plan;
pub mod time;
pub mod visits;

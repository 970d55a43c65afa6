//! The pure rules of credit-based supervision (issue 13), no I/O:
//! - [`amount`]: 双公示 amounts in 万元, read and written exactly (kept in fen).
//! - [`class`]: credit-risk classes A–D from rules as data (internal, never published).
//! - [`commitment`]: 信用承诺 in the full collection template and its code format.
//! - [`sgs`]: 双公示 licences (`XK_`) and penalties (`CF_`) in 信用中国's layout, checked, with
//!   their publicity worked out.
//! - [`publicity`]: how long a penalty is public, and when credit repair may end it early.
//! - [`housekeeping`]: a housekeeping practitioner's credit status (green, yellow, red) with expiry.
//! - [`draw`]: 双随机一公开 — verifiable random draws of inspection objects and inspectors from
//!   published pools, a seed fixed in advance and a manifest anyone can replay.
//! - [`warning`]: early-warning rules as data (conditions, severity, assignee, deadline).
//! - [`token`]: the credit certificate QR token: signed, expiring, revocable, no personal data.

pub mod amount;
pub mod class;
pub mod commitment;
pub mod draw;
pub mod housekeeping;
pub mod publicity;
pub mod sgs;
pub mod token;
pub mod warning;

//! The pure rules of credit-based supervision (issue 13), no I/O:
//! - [`draw`]: 双随机一公开 — verifiable random draws of inspection objects and inspectors from
//!   published pools, a seed fixed in advance and a manifest anyone can replay.

pub mod draw;

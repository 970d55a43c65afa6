//! The assessment (work in progress).

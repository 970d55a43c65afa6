//! Assessment reports (work in progress).

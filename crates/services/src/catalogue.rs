//! (issue 11, services domain: in progress)

//! The subsidy ledger in double entry (issue 11: in progress).

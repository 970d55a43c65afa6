//! The register of elderly people in special difficulty and their entitlements (issue 11: in progress).

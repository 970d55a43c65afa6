//! Every endpoint of the API with the roles it admits. Each domain states its own endpoints
//! (`domains::*::ENDPOINTS`); [`ENDPOINTS`] is their concatenation, the one table that the
//! authorization middleware enforces, the OpenAPI document lists and the authorization matrix
//! test walks.
//!
//! An endpoint's `access` is the first gate (by role). Some endpoints add a second, per-record
//! gate, stated in `scope`: provider staff reach only their own provider's records, community
//! workers only their own community and its residents, residents only their own record.

use lc_registry::{Access, Role};

use Role::*;

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path as routed (`{id}` for parameters).
    pub path: &'static str,
    /// Who passes the role gate.
    pub access: Access,
    /// Per-record restriction, if any (documentation; enforced in the handler).
    pub scope: &'static str,
    /// OpenAPI tag.
    pub tag: &'static str,
    /// One line: what it does.
    pub summary: &'static str,
    /// Request body media type, if it takes a body.
    pub body: Option<&'static str>,
    /// Response media type.
    pub produces: &'static str,
}

pub const TOKEN_HOLDERS: Access =
    Access::Roles(&[ProviderStaff, CommunityWorker, Regulator, Admin]);
pub const STAFF_WRITE: Access = Access::Roles(&[Regulator, Admin]);
pub const PROVIDER_WRITE: Access = Access::Roles(&[ProviderStaff, Regulator, Admin]);
pub const OWN_PROVIDER: &str = "provider staff: only records of their own provider";
pub const OWN_COMMUNITY: &str = "community worker: only their own community";
pub const JSON: &str = "application/json";
pub const CSV: &str = "text/csv";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One endpoint: method, path, access, scope, tag, summary, request and response media types.
macro_rules! ep {
    ($m:literal, $p:literal, $a:expr, $scope:expr, $tag:literal, $sum:literal, $body:expr, $prod:expr) => {
        Endpoint {
            method: $m,
            path: $p,
            access: $a,
            scope: $scope,
            tag: $tag,
            summary: $sum,
            body: $body,
            produces: $prod,
        }
    };
}
pub(crate) use ep;

/// Every endpoint of the API: the concatenation of the domains' tables.
pub static ENDPOINTS: std::sync::LazyLock<Vec<Endpoint>> =
    std::sync::LazyLock::new(|| crate::domains::TABLES.concat());

/// The endpoint for a method and a routed path.
pub fn find(method: &str, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS
        .iter()
        .find(|e| e.method == method && e.path == path)
}

/// The roles an access admits, as keys (`["public"]` for public endpoints).
pub fn role_keys(a: Access) -> Vec<&'static str> {
    match a {
        Access::Public => vec!["public"],
        Access::Authenticated => Role::ALL.iter().map(|r| r.key()).collect(),
        Access::Roles(rs) => rs.iter().map(|r| r.key()).collect(),
    }
}

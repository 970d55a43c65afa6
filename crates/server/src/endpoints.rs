//! Every endpoint of the API with the roles it admits: the one table that the authorization
//! middleware enforces, the OpenAPI document lists and the authorization matrix test walks.
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

const TOKEN_HOLDERS: Access = Access::Roles(&[ProviderStaff, CommunityWorker, Regulator, Admin]);
const STAFF_WRITE: Access = Access::Roles(&[Regulator, Admin]);
const PROVIDER_WRITE: Access = Access::Roles(&[ProviderStaff, Regulator, Admin]);
const OWN_PROVIDER: &str = "provider staff: only records of their own provider";
const OWN_COMMUNITY: &str = "community worker: only their own community";
const JSON: &str = "application/json";
const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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

/// The API.
pub const ENDPOINTS: &[Endpoint] = &[
    // System.
    ep!("GET", "/api/health", Access::Public, "", "system", "Liveness: the process answers.", None, JSON),
    ep!("GET", "/api/ready", Access::Public, "", "system", "Readiness: the database answers and the schema is current.", None, JSON),
    ep!("GET", "/api/openapi.json", Access::Public, "", "system", "This API as an OpenAPI 3.1 document.", None, JSON),
    ep!("GET", "/api/categories", Access::Public, "", "system", "The facility category vocabulary of the engine.", None, JSON),
    // Accounts.
    ep!("POST", "/api/auth/login", Access::Public, "", "accounts", "Sign in: sets an HTTP-only session cookie, returns the CSRF token.", Some(JSON), JSON),
    ep!("POST", "/api/auth/logout", Access::Authenticated, "", "accounts", "Sign out: ends the session.", None, JSON),
    ep!("GET", "/api/auth/me", Access::Authenticated, "", "accounts", "The signed-in account.", None, JSON),
    ep!("POST", "/api/auth/password", Access::Authenticated, "own account only", "accounts", "Change one's own password (the current one is required); other sessions and all bearer tokens end.", Some(JSON), JSON),
    ep!("POST", "/api/auth/tokens", TOKEN_HOLDERS, "", "accounts", "Create a bearer token for an integration (shown once; expires in expires_in_days, default 90, at most 365).", Some(JSON), JSON),
    ep!("GET", "/api/auth/tokens", TOKEN_HOLDERS, "own tokens; an administrator may name user_id", "accounts", "List bearer tokens (never the token itself).", None, JSON),
    ep!("DELETE", "/api/auth/tokens/{id}", TOKEN_HOLDERS, "own tokens; an administrator any", "accounts", "Revoke a bearer token.", None, JSON),
    ep!("GET", "/api/users", Access::Roles(&[Admin]), "", "accounts", "List accounts.", None, JSON),
    ep!("POST", "/api/users", Access::Roles(&[Admin]), "", "accounts", "Create an account (Argon2 password hash).", Some(JSON), JSON),
    ep!("GET", "/api/users/{id}", Access::Roles(&[Admin]), "", "accounts", "One account.", None, JSON),
    ep!("PATCH", "/api/users/{id}", Access::Roles(&[Admin]), "", "accounts", "Change an account (role, links, password, disabled).", Some(JSON), JSON),
    ep!("POST", "/api/users/{id}/unlock", Access::Roles(&[Admin]), "", "accounts", "End the login throttling of an account (its failed logins from every address are forgotten).", None, JSON),
    // Divisions.
    ep!("GET", "/api/divisions", Access::Public, "", "divisions", "List or search divisions (q, name, parent, level, division prefix).", None, JSON),
    ep!("GET", "/api/divisions/{code}", Access::Public, "", "divisions", "One division by statistical code, with its parent chain.", None, JSON),
    ep!("POST", "/api/divisions", Access::Roles(&[Admin]), "", "divisions", "Create a division (its parent must exist).", Some(JSON), JSON),
    ep!("PATCH", "/api/divisions/{code}", Access::Roles(&[Admin]), "", "divisions", "Rename a division.", Some(JSON), JSON),
    // Communities.
    ep!("GET", "/api/communities", Access::Public, "", "communities", "List or search communities (q, division prefix).", None, JSON),
    ep!("POST", "/api/communities", STAFF_WRITE, "", "communities", "Create a community.", Some(JSON), JSON),
    ep!("GET", "/api/communities/export.csv", Access::Public, "", "communities", "Export communities in the engine's communities.csv format.", None, CSV),
    ep!("GET", "/api/communities/export.xlsx", Access::Public, "", "communities", "Export communities as an Excel workbook.", None, XLSX),
    ep!("POST", "/api/communities/import", STAFF_WRITE, "", "communities", "Import (insert or replace) communities from communities.csv or an Excel workbook with the same columns (?crs=wgs84|gcj02|bd09).", Some(CSV), JSON),
    ep!("GET", "/api/communities/{id}", Access::Public, "", "communities", "One community.", None, JSON),
    ep!("PATCH", "/api/communities/{id}", Access::Roles(&[CommunityWorker, Regulator, Admin]), OWN_COMMUNITY, "communities", "Change a community.", Some(JSON), JSON),
    ep!("GET", "/api/communities/{id}/assessment", Access::Public, "", "communities", "The latest imported assessment's shortcomings of a community.", None, JSON),
    // Facilities.
    ep!("GET", "/api/facilities", Access::Public, "", "facilities", "List or search facilities and outlets (q, division prefix, category, provider_code, listed).", None, JSON),
    ep!("POST", "/api/facilities", PROVIDER_WRITE, OWN_PROVIDER, "facilities", "Create a facility or outlet.", Some(JSON), JSON),
    ep!("GET", "/api/facilities/export.csv", Access::Public, "", "facilities", "Export facilities in the engine's facilities.csv format.", None, CSV),
    ep!("GET", "/api/facilities/export.xlsx", Access::Public, "", "facilities", "Export facilities as an Excel workbook.", None, XLSX),
    ep!("POST", "/api/facilities/import", STAFF_WRITE, "", "facilities", "Import (insert or replace) facilities from facilities.csv or an Excel workbook with the same columns (?crs=…).", Some(CSV), JSON),
    ep!("GET", "/api/facilities/{id}", Access::Public, "", "facilities", "One facility or outlet.", None, JSON),
    ep!("PATCH", "/api/facilities/{id}", PROVIDER_WRITE, OWN_PROVIDER, "facilities", "Change a facility or outlet.", Some(JSON), JSON),
    // Providers.
    ep!("GET", "/api/providers", Access::Public, "", "providers", "List or search providers (contact details masked).", None, JSON),
    ep!("POST", "/api/providers", STAFF_WRITE, "", "providers", "Register a provider by unified social credit code.", Some(JSON), JSON),
    ep!("GET", "/api/providers/{uscc}", Access::Public, "", "providers", "One provider (contact details in full for its own staff, regulators and administrators; such reads are logged).", None, JSON),
    ep!("PATCH", "/api/providers/{uscc}", PROVIDER_WRITE, OWN_PROVIDER, "providers", "Change a provider.", Some(JSON), JSON),
    // Practitioners.
    ep!("GET", "/api/practitioners", PROVIDER_WRITE, OWN_PROVIDER, "practitioners", "List practitioners (masked).", None, JSON),
    ep!("POST", "/api/practitioners", PROVIDER_WRITE, OWN_PROVIDER, "practitioners", "Register a practitioner with certificates.", Some(JSON), JSON),
    ep!("GET", "/api/practitioners/{id}", PROVIDER_WRITE, OWN_PROVIDER, "practitioners", "One practitioner (name and phone in full; the read is logged).", None, JSON),
    ep!("PATCH", "/api/practitioners/{id}", PROVIDER_WRITE, OWN_PROVIDER, "practitioners", "Change a practitioner.", Some(JSON), JSON),
    // Residents.
    ep!("GET", "/api/residents", Access::Roles(&[CommunityWorker, Admin]), OWN_COMMUNITY, "residents", "List residents (masked).", None, JSON),
    ep!("POST", "/api/residents", Access::Roles(&[CommunityWorker, Admin]), OWN_COMMUNITY, "residents", "Register a resident.", Some(JSON), JSON),
    ep!("GET", "/api/residents/export.csv", Access::Roles(&[CommunityWorker, Admin]), OWN_COMMUNITY, "residents", "Export residents (masked).", None, CSV),
    ep!("GET", "/api/residents/{id}", Access::Roles(&[Resident, CommunityWorker, Admin]), "resident: only their own record; community worker: only their own community", "residents", "One resident (name and phone in full; staff reads are logged).", None, JSON),
    ep!("PATCH", "/api/residents/{id}", Access::Roles(&[Resident, CommunityWorker, Admin]), "resident: only their own record's phone and address; community worker: only their own community", "residents", "Change a resident.", Some(JSON), JSON),
    // Assessments.
    ep!("POST", "/api/assessments", STAFF_WRITE, "", "assessments", "Import an assessment run: shortcomings.csv and indicators.csv of `livingcircle assess`.", Some(JSON), JSON),
    ep!("GET", "/api/assessments/latest", Access::Public, "", "assessments", "The latest assessment run with its indicators.", None, JSON),
    // Logs.
    ep!("GET", "/api/audit", STAFF_WRITE, "", "logs", "The audit trail of changes (entity, entity_id filters).", None, JSON),
    ep!("GET", "/api/access-log", Access::Roles(&[Admin]), "", "logs", "Staff reads of personal data.", None, JSON),
];

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

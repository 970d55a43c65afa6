//! The registry domain: divisions, communities, facilities and outlets, providers,
//! practitioners and residents. Each module owns its repository, routes and endpoint table;
//! the pure rules are `lc_registry`'s.

pub mod communities;
pub mod divisions;
pub mod facilities;
pub mod practitioners;
pub mod providers;
pub mod residents;

use lc_registry::Role;

use crate::auth::Caller;

/// Whether a record of provider `code` is within the caller's reach: provider staff reach
/// only their own provider's records; everyone else whom the role gate let through, all.
pub fn own_provider(c: &Caller, code: Option<&str>) -> bool {
    match &c.user {
        Some(u) if u.role == Role::ProviderStaff => {
            u.provider_code.is_some() && u.provider_code.as_deref() == code
        }
        _ => true,
    }
}

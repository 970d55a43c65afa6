//! The platform's domains. Each owns its rules (pure, in `lc-registry` or its own module), its
//! repository functions (explicit SQL through `sqlx::Any`), its routes and its endpoint table
//! (`ENDPOINTS`: path, method, roles, scope, summary). The router merges the domains' routes;
//! the authorization middleware and the OpenAPI document use the concatenation of their
//! tables ([`TABLES`]). A new domain adds a module here, one line to [`TABLES`] and one to
//! [`routes`].

pub mod accounts;
pub mod assessments;
pub mod care;
pub mod childcare;
pub mod credit;
pub mod credit_lists;
pub mod home_beds;
pub mod housekeeping;
pub mod inspections;
pub mod logs;
pub mod monitoring;
pub mod open_data;
pub mod registry;
pub mod releases;
pub mod reviews;
pub mod risk;
pub mod services;
pub mod siting;
pub mod system;
pub mod warnings;

use std::sync::Arc;

use axum::Router;

use crate::endpoints::Endpoint;
use crate::AppState;

/// Every domain's endpoint table.
pub const TABLES: &[&[Endpoint]] = &[
    system::ENDPOINTS,
    accounts::ENDPOINTS,
    registry::divisions::ENDPOINTS,
    registry::communities::ENDPOINTS,
    assessments::ENDPOINTS,
    siting::ENDPOINTS,
    monitoring::ENDPOINTS,
    releases::ENDPOINTS,
    registry::facilities::ENDPOINTS,
    registry::providers::ENDPOINTS,
    registry::practitioners::ENDPOINTS,
    registry::residents::ENDPOINTS,
    services::offerings::ENDPOINTS,
    services::nearby::ENDPOINTS,
    services::bookings::ENDPOINTS,
    care::ENDPOINTS,
    childcare::ENDPOINTS,
    home_beds::ENDPOINTS,
    reviews::ENDPOINTS,
    credit::ENDPOINTS,
    credit_lists::ENDPOINTS,
    risk::ENDPOINTS,
    warnings::ENDPOINTS,
    inspections::ENDPOINTS,
    housekeeping::ENDPOINTS,
    logs::ENDPOINTS,
    open_data::ENDPOINTS,
];

/// Every domain's routes (`max_body`: the limit of the import endpoints).
pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    Router::new()
        .merge(system::routes())
        .merge(accounts::routes())
        .merge(registry::divisions::routes())
        .merge(registry::communities::routes(max_body))
        .merge(assessments::routes(max_body))
        .merge(siting::routes(max_body))
        .merge(monitoring::routes())
        .merge(releases::routes())
        .merge(registry::facilities::routes(max_body))
        .merge(registry::providers::routes())
        .merge(registry::practitioners::routes())
        .merge(registry::residents::routes())
        .merge(services::offerings::routes())
        .merge(services::nearby::routes())
        .merge(services::bookings::routes())
        .merge(care::routes())
        .merge(childcare::routes())
        .merge(home_beds::routes())
        .merge(reviews::routes())
        .merge(credit::routes(max_body))
        .merge(credit_lists::routes(max_body))
        .merge(risk::routes())
        .merge(warnings::routes())
        .merge(inspections::routes())
        .merge(housekeeping::routes())
        .merge(logs::routes())
        .merge(open_data::routes())
}

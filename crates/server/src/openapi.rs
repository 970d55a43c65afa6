//! The OpenAPI 3.1 document, generated from the endpoint table (paths, roles) and the store's
//! tables (record schemas), so it cannot drift from what the server routes and enforces.

use lc_registry::records::{
    CommunityRecord, Division, FacilityRecord, PractitionerRecord, ProviderRecord, Record,
    ResidentRecord,
};
use lc_store::schema::{ColType, Table};
use serde_json::{json, Map, Value};

use crate::endpoints::{role_keys, ENDPOINTS};
use crate::error::ERROR_CODES;
use crate::resources::Resource;

fn schema_of<R: Resource>() -> Value {
    schema_of_table(R::TABLE, R::FIELDS)
}

fn schema_of_table(t: &Table, inputs: &[&str]) -> Value {
    let mut props = Map::new();
    for c in t.cols {
        if c.name.ends_with("_hash") {
            continue;
        }
        let ty = match c.ty {
            ColType::Text => json!({"type": ["string", "null"]}),
            ColType::Real => json!({"type": ["number", "null"]}),
            ColType::Int => json!({"type": ["integer", "null"]}),
        };
        props.insert(c.name.to_string(), ty);
    }
    for f in inputs {
        props
            .entry(f.to_string())
            .or_insert(json!({"description": "write-only input"}));
    }
    json!({"type": "object", "properties": props})
}

/// Paginated, searchable lists.
const LISTS: [&str; 9] = [
    "/api/divisions",
    "/api/communities",
    "/api/facilities",
    "/api/providers",
    "/api/practitioners",
    "/api/residents",
    "/api/users",
    "/api/audit",
    "/api/access-log",
];

/// Builds the document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let roles = role_keys(e.access);
        let mut description = format!("Roles: {}.", roles.join(", "));
        if !e.scope.is_empty() {
            description.push_str(&format!(" Scope: {}.", e.scope));
        }
        let mut op = json!({
            "summary": e.summary,
            "description": description,
            "tags": [e.tag],
            "x-roles": roles,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {e.produces: {}}},
                "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        if e.method == "GET" && (LISTS.contains(&e.path) || e.path.contains("export")) {
            let extra = [
                ("q", "Search text (names)."),
                ("division", "Division code prefix (1-12 digits)."),
                ("limit", "Page size, 1-1000 (default 50)."),
                ("offset", "Rows to skip (default 0)."),
            ];
            if let Some(arr) = op["parameters"].as_array_mut() {
                for (n, d) in extra {
                    arr.push(json!({"name": n, "in": "query", "required": false, "description": d, "schema": {"type": "string"}}));
                }
            }
        }
        if let Some(b) = e.body {
            op["requestBody"] = json!({"required": true, "content": {b: {}}});
        }
        if !matches!(e.access, lc_registry::Access::Public) {
            op["security"] = json!([{"bearer": []}, {"session": []}]);
        }
        let item = paths.entry(e.path.to_string()).or_insert(json!({}));
        item[e.method.to_ascii_lowercase()] = op;
    }
    let codes: Vec<Value> = ERROR_CODES
        .iter()
        .map(|(c, s, d)| json!({"code": c, "status": s, "description": d}))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "livingcircle service platform API 社区生活服务平台接口",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Registry of divisions, communities, facilities, providers, practitioners and residents; accounts and roles. Errors are JSON {code, message_zh, message_en, request_id, errors?}; the server's x-request-id response header (also in error bodies) identifies every request. Bodies are limited to 64 KiB (8 KiB for the login) except the imports. Changes made with a session cookie need the X-CSRF-Token header.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message_zh", "message_en", "request_id"],
                    "properties": {
                        "code": {"type": "string", "enum": ERROR_CODES.iter().map(|c| c.0).collect::<Vec<_>>()},
                        "message_zh": {"type": "string"},
                        "message_en": {"type": "string"},
                        "request_id": {"type": "string", "description": "The server's id of the request (as in the x-request-id header)."},
                        "errors": {"type": "array", "items": {"type": "object", "properties": {
                            "field": {"type": "string"}, "code": {"type": "string"},
                            "message_zh": {"type": "string"}, "message_en": {"type": "string"}}}},
                    },
                },
                "Division": schema_of::<Division>(),
                "Community": schema_of::<CommunityRecord>(),
                "Facility": schema_of::<FacilityRecord>(),
                "Provider": schema_of::<ProviderRecord>(),
                "Practitioner": schema_of::<PractitionerRecord>(),
                "Resident": schema_of::<ResidentRecord>(),
            },
            "x-error-codes": codes,
        },
    })
}

/// The entity names with schemas (for tests).
pub fn entities() -> [&'static str; 6] {
    [
        Division::ENTITY,
        CommunityRecord::ENTITY,
        FacilityRecord::ENTITY,
        ProviderRecord::ENTITY,
        PractitionerRecord::ENTITY,
        ResidentRecord::ENTITY,
    ]
}

-- livingcircle service platform, schema version 1 (SQLite; keep in step with postgres/).
-- Portable subset: plain tables, BIGINT/DOUBLE PRECISION/TEXT, btree indexes, no triggers,
-- no stored procedures, no cross-table foreign keys (see ARCHITECTURE.md: distribution keys).
-- Timestamps are milliseconds since the Unix epoch (UTC).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE divisions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level BIGINT NOT NULL,
    parent_code TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX divisions_parent ON divisions (parent_code);
CREATE INDEX divisions_name ON divisions (name);

CREATE TABLE communities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    division_code TEXT,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    population DOUBLE PRECISION NOT NULL,
    households DOUBLE PRECISION,
    elderly DOUBLE PRECISION,
    children_0_3 DOUBLE PRECISION,
    boundary TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX communities_division ON communities (division_code);

CREATE TABLE providers (
    uscc TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT,
    division_code TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE facilities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    capacity DOUBLE PRECISION,
    floor_area_m2 DOUBLE PRECISION,
    provider_code TEXT,
    operator_name TEXT,
    opening_hours TEXT,
    address TEXT,
    division_code TEXT,
    listing_number TEXT UNIQUE,
    credit_commitment_date TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX facilities_provider ON facilities (provider_code);
CREATE INDEX facilities_division ON facilities (division_code);

CREATE TABLE practitioners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    phone TEXT,
    id_number_masked TEXT,
    id_number_hash TEXT,
    certificates TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX practitioners_provider ON practitioners (provider_code);

CREATE TABLE residents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    id_number_masked TEXT,
    id_number_hash TEXT,
    address TEXT,
    user_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX residents_community ON residents (community_id);
CREATE INDEX residents_user ON residents (user_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT,
    provider_code TEXT,
    community_id TEXT,
    disabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (username, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_role TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    request_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE TABLE access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX access_log_entity ON access_log (entity, entity_id);

CREATE TABLE assessment_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    label TEXT NOT NULL,
    shortcomings BIGINT NOT NULL,
    indicators BIGINT NOT NULL
);

CREATE TABLE assessment_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    line BIGINT NOT NULL,
    community_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX assessment_rows_run ON assessment_rows (run_id, kind, community_id);

-- 双随机、一公开 spot checks, issue 13 item 4 (PostgreSQL; keep in step with sqlite/): the check-item
-- list and the inspector pool (一单两库 with the object pool frozen from the registry into each
-- spot check), the spot checks with their frozen pools, seed commitment, manifest and published
-- result, the result of each drawn object with its rectification, and the log of every step
-- (redraws with their reasons included).

CREATE TABLE check_items (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    qualifications TEXT NOT NULL,
    legal_basis TEXT,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE inspectors (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    department TEXT NOT NULL,
    qualifications TEXT NOT NULL,
    affiliation TEXT,
    conflicts TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE spot_checks (
    id BIGSERIAL PRIMARY KEY,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    plan TEXT NOT NULL,
    objects_sha256 TEXT NOT NULL,
    inspectors_sha256 TEXT NOT NULL,
    seed_commitment TEXT,
    public_value_sources TEXT NOT NULL,
    draw_on TEXT NOT NULL,
    publish_within_days BIGINT NOT NULL,
    manifest TEXT,
    manifest_sha256 TEXT,
    drawn_at BIGINT,
    publish_due TEXT,
    published_at BIGINT,
    redraw_of BIGINT,
    redraw_reason TEXT,
    superseded_by BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX spot_checks_status ON spot_checks (status);
-- A spot check is replaced by at most one redraw.
CREATE UNIQUE INDEX spot_checks_one_redraw ON spot_checks (redraw_of);
CREATE UNIQUE INDEX spot_checks_manifest ON spot_checks (manifest_sha256);

CREATE TABLE spot_check_results (
    id BIGSERIAL PRIMARY KEY,
    spot_check_id BIGINT NOT NULL,
    object_id TEXT NOT NULL,
    provider_code TEXT NOT NULL,
    inspectors TEXT NOT NULL,
    outcome TEXT,
    findings TEXT,
    checked_on TEXT,
    rectification_due TEXT,
    rectified_on TEXT,
    rectification_note TEXT,
    recorded_by BIGINT,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX spot_check_results_object ON spot_check_results (spot_check_id, object_id);
CREATE INDEX spot_check_results_provider ON spot_check_results (provider_code, checked_on);

CREATE TABLE spot_check_events (
    id BIGSERIAL PRIMARY KEY,
    spot_check_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX spot_check_events_check ON spot_check_events (spot_check_id, id);

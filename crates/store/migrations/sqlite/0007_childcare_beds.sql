-- Childcare places and home elderly-care beds, issue 11 (SQLite; keep in step with postgres/).
-- Timestamps are milliseconds since the Unix epoch (UTC); dates are civil dates in
-- Asia/Shanghai written YYYY-MM-DD.

-- A nursery's places (托位): opened from the facility's capacity at first use, then set by
-- its provider. An offer or an enrolment takes a place with
-- `UPDATE … SET in_use = in_use + 1 WHERE facility_id = $1 AND in_use < places`, so the
-- database, not a read before the write, keeps the places in use within the places.
CREATE TABLE childcare_places (
    facility_id TEXT PRIMARY KEY,
    provider_code TEXT,
    places BIGINT NOT NULL,
    in_use BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

-- Applications for a place, in the order of application (`id`); the child's name, birth month
-- and the note are personal data of the parent resident.
CREATE TABLE childcare_enrolments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id TEXT NOT NULL,
    provider_code TEXT,
    parent_resident_id BIGINT NOT NULL,
    community_id TEXT NOT NULL,
    child_name TEXT NOT NULL,
    child_birth_month TEXT NOT NULL,
    note TEXT,
    status TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    offered_at BIGINT,
    offer_expires_at BIGINT,
    enrolled_at BIGINT,
    closed_at BIGINT,
    -- 1 while the application is open (waiting, offered, enrolled), NULL once closed.
    open_flag BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
-- A child has at most one open application per nursery.
CREATE UNIQUE INDEX childcare_one_open ON childcare_enrolments (facility_id, parent_resident_id, child_name, open_flag) WHERE open_flag IS NOT NULL;
CREATE INDEX childcare_list ON childcare_enrolments (facility_id, status, id);
CREATE INDEX childcare_parent ON childcare_enrolments (parent_resident_id);
CREATE INDEX childcare_community ON childcare_enrolments (community_id);

CREATE TABLE childcare_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enrolment_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_role TEXT,
    event TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL
);
CREATE INDEX childcare_events_enrolment ON childcare_events (enrolment_id, id);

-- Home elderly-care bed contracts (家庭养老床位): a resident and a provider's elderly outlet.
CREATE TABLE home_bed_contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resident_id BIGINT NOT NULL,
    community_id TEXT NOT NULL,
    facility_id TEXT NOT NULL,
    provider_code TEXT NOT NULL,
    services TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    visits_per_month BIGINT NOT NULL,
    notes TEXT,
    status TEXT NOT NULL,
    activated_on TEXT,
    closed_on TEXT,
    -- 1 while active, NULL otherwise.
    active_flag BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
-- A resident has at most one active home bed.
CREATE UNIQUE INDEX home_bed_one_active ON home_bed_contracts (resident_id, active_flag) WHERE active_flag IS NOT NULL;
CREATE INDEX home_bed_provider ON home_bed_contracts (provider_code);
CREATE INDEX home_bed_community ON home_bed_contracts (community_id);

-- The visits a contract promises, with EVV's six elements.
CREATE TABLE home_bed_visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL,
    resident_id BIGINT NOT NULL,
    community_id TEXT NOT NULL,
    provider_code TEXT NOT NULL,
    service TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    month TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL,
    place TEXT NOT NULL,
    practitioner_id BIGINT,
    worker_name TEXT,
    notes TEXT,
    recorded_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX home_bed_visits_contract ON home_bed_visits (contract_id, started_at);
CREATE INDEX home_bed_visits_time ON home_bed_visits (started_at);

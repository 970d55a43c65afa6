-- 好差评, issue 12 (PostgreSQL; keep in step with sqlite/): reviews bound to a completed booking
-- or a care visit (one per service record, enforced here), the 差评 cases with their deadlines,
-- the append-only event log every published figure is recomputed from, and the deployment's
-- review rules. Timestamps are milliseconds since the Unix epoch (UTC); dates are
-- `YYYY-MM-DD` and months `YYYY-MM` in Asia/Shanghai.

-- Who served a booking (recorded when the outlet starts or completes it): the practitioner a
-- review rates.
ALTER TABLE bookings ADD COLUMN practitioner_id BIGINT;

-- One row: the rules in force (a jurisdiction's deadlines and default rating, the minimum
-- count of a public rating), as JSON.
CREATE TABLE review_settings (
    id BIGINT PRIMARY KEY,
    rules TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE reviews (
    id BIGSERIAL PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    facility_id TEXT,
    provider_code TEXT,
    practitioner_id BIGINT,
    service TEXT NOT NULL,
    division_code TEXT,
    community_id TEXT NOT NULL,
    resident_id BIGINT NOT NULL,
    submitted_by BIGINT,
    proxy BIGINT NOT NULL,
    consent_method TEXT,
    consent_note TEXT,
    served_at BIGINT NOT NULL,
    rated_at BIGINT NOT NULL,
    month TEXT NOT NULL,
    level TEXT NOT NULL,
    class TEXT NOT NULL,
    indicators_version TEXT NOT NULL,
    indicator_set TEXT NOT NULL,
    scores TEXT NOT NULL,
    text TEXT,
    is_default BIGINT NOT NULL,
    excluded BIGINT NOT NULL,
    version BIGINT NOT NULL
);
-- One rating per service record (一次一评): two concurrent reviews of one booking, one row.
CREATE UNIQUE INDEX reviews_one_per_record ON reviews (subject_kind, subject_id);
CREATE INDEX reviews_month ON reviews (month, facility_id);
CREATE INDEX reviews_provider ON reviews (provider_code, month);
CREATE INDEX reviews_resident ON reviews (resident_id);

CREATE TABLE review_cases (
    id BIGSERIAL PRIMARY KEY,
    review_id BIGINT NOT NULL UNIQUE,
    facility_id TEXT,
    provider_code TEXT,
    division_code TEXT,
    service TEXT NOT NULL,
    status TEXT NOT NULL,
    received TEXT NOT NULL,
    month TEXT NOT NULL,
    deadline TEXT,
    deadline_note TEXT,
    verified BIGINT NOT NULL,
    appealed BIGINT NOT NULL,
    excluded BIGINT NOT NULL,
    rectified_on_time BIGINT,
    callback_accepted BIGINT,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    version BIGINT NOT NULL
);
CREATE INDEX review_cases_status ON review_cases (status, deadline);
CREATE INDEX review_cases_provider ON review_cases (provider_code, month);
CREATE INDEX review_cases_month ON review_cases (month);

-- Append-only: rows are inserted, never updated or deleted (the triggers below refuse both).
CREATE TABLE review_events (
    id BIGSERIAL PRIMARY KEY,
    review_id BIGINT NOT NULL,
    case_id BIGINT,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_role TEXT,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX review_events_review ON review_events (review_id, id);
CREATE INDEX review_events_at ON review_events (at);

-- Dialect-specific from here: the append-only triggers.

CREATE FUNCTION review_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'review_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER review_events_no_update BEFORE UPDATE OR DELETE ON review_events
    FOR EACH ROW EXECUTE FUNCTION review_events_append_only();
CREATE TRIGGER review_events_no_truncate BEFORE TRUNCATE ON review_events
    FOR EACH STATEMENT EXECUTE FUNCTION review_events_append_only();

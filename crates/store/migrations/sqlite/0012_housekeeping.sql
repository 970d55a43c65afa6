-- 家政信用, issue 13 item 2 (SQLite; keep in step with postgres/): each registry practitioner's
-- credit record (identity check, background and health checks, training, insurance, work
-- history, black-list flag), the worker's consent to a credit certificate QR code, the
-- pseudonymous subjects tokens carry, the tokens issued (and revoked) and every scan. The
-- status colour is never stored: it is computed on the day asked (`lc_credit::housekeeping`).
-- Timestamps are milliseconds since the Unix epoch (UTC); dates `YYYY-MM-DD` (Asia/Shanghai).

CREATE TABLE hk_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    practitioner_id BIGINT NOT NULL UNIQUE,
    provider_code TEXT NOT NULL,
    identity_verified_on TEXT,
    identity_method TEXT,
    identity_verified_by TEXT,
    background_checked_on TEXT,
    background_clean BIGINT,
    background_issuer TEXT,
    health_checked_on TEXT,
    health_issuer TEXT,
    training TEXT NOT NULL,
    insurer TEXT,
    policy_number TEXT,
    insured_until TEXT,
    work_history TEXT NOT NULL,
    black_listed BIGINT NOT NULL,
    black_list_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX hk_records_provider ON hk_records (provider_code);

-- The worker's consent to the QR code (one row per practitioner, changed in place; the audit
-- trail keeps its history). `given` 0 after a withdrawal.
CREATE TABLE hk_consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    practitioner_id BIGINT NOT NULL UNIQUE,
    given BIGINT NOT NULL,
    method TEXT NOT NULL,
    show_name BIGINT NOT NULL,
    note TEXT,
    recorded_by BIGINT,
    recorded_at BIGINT NOT NULL,
    withdrawn_at BIGINT,
    version BIGINT NOT NULL
);

-- The pseudonymous subject id of a practitioner (`subject_ref` its id) or an enterprise (`subject_ref` its
-- USCC): base64url text from a keyed hash, unique both ways.
CREATE TABLE hk_subjects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    subject_ref TEXT NOT NULL,
    subject TEXT NOT NULL UNIQUE,
    provider_code TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX hk_subjects_ref ON hk_subjects (kind, subject_ref);

-- Tokens issued; a revoked one keeps its row with `revoked_at` (the revocation list).
CREATE TABLE hk_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    practitioner_id BIGINT,
    provider_code TEXT NOT NULL,
    colour TEXT NOT NULL,
    key_id TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    text TEXT NOT NULL,
    issued_by BIGINT,
    revoked_at BIGINT,
    revoked_by BIGINT,
    revoke_reason TEXT,
    version BIGINT NOT NULL
);
CREATE INDEX hk_tokens_practitioner ON hk_tokens (practitioner_id);
CREATE INDEX hk_tokens_provider ON hk_tokens (provider_code);
-- A refused scan is logged with the token it was, if the text is one issued here.
CREATE INDEX hk_tokens_text ON hk_tokens (text);

-- Every scan with its outcome; no scanner data beyond a keyed hash of the client address.
CREATE TABLE hk_scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    channel TEXT NOT NULL,
    token_id TEXT,
    subject TEXT,
    kind TEXT,
    provider_code TEXT,
    practitioner_id BIGINT,
    outcome TEXT NOT NULL,
    colour TEXT,
    client_hash TEXT
);
CREATE INDEX hk_scans_token ON hk_scans (token_id);
CREATE INDEX hk_scans_provider ON hk_scans (provider_code, at);

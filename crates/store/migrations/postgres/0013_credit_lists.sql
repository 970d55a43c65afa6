-- Credit commitments, rewards and red and black lists, issue 13 (PostgreSQL; keep in step with sqlite/):
-- the rest of each enterprise's credit record under its unified social credit code, each with
-- the department that produced it. Dates are `YYYY-MM-DD`.

-- 信用承诺 in the full template. The code (division + date + serial) is unique; the serials the
-- server allocates come from `credit_commitment_serials`, one row per (division, date), raised
-- in the writing transaction (an upsert: two writers of the same day wait for each other and
-- get consecutive serials).
CREATE TABLE credit_commitments (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    division TEXT NOT NULL,
    committer_name TEXT NOT NULL,
    committer_kind TEXT NOT NULL,
    committer_code TEXT NOT NULL,
    facility_id TEXT,
    kind TEXT NOT NULL,
    cause TEXT,
    content TEXT NOT NULL,
    liability TEXT NOT NULL,
    made_on TEXT NOT NULL,
    valid_until TEXT,
    fulfilment TEXT,
    unfulfilled TEXT,
    liability_pursued TEXT,
    assessed_on TEXT,
    assessed_by TEXT,
    assessed_by_code TEXT,
    accepted_by TEXT NOT NULL,
    accepted_by_code TEXT NOT NULL,
    publication TEXT NOT NULL,
    broken BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX credit_commitments_code ON credit_commitments (code);
CREATE INDEX credit_commitments_committer ON credit_commitments (committer_code, publication);

CREATE TABLE credit_commitment_serials (
    division TEXT NOT NULL,
    made_on TEXT NOT NULL,
    last_serial BIGINT NOT NULL,
    PRIMARY KEY (division, made_on)
);

-- Every fulfilment assessment of a commitment: from, to, the day, why, who.
CREATE TABLE credit_commitment_events (
    id BIGSERIAL PRIMARY KEY,
    commitment_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    from_fulfilment TEXT,
    to_fulfilment TEXT,
    assessed_on TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX credit_commitment_events_of ON credit_commitment_events (commitment_id, id);

-- 表彰奖励.
CREATE TABLE credit_rewards (
    id BIGSERIAL PRIMARY KEY,
    subject_uscc TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    title TEXT NOT NULL,
    awarded_by TEXT NOT NULL,
    decision_doc TEXT NOT NULL,
    awarded_on TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX credit_rewards_doc ON credit_rewards (subject_uscc, decision_doc);

-- 红名单 (守信激励) and 黑名单 (严重失信主体名单) entries; an exit closes an entry. At most one
-- open entry per enterprise, list kind and list name.
CREATE TABLE credit_list_entries (
    id BIGSERIAL PRIMARY KEY,
    list_kind TEXT NOT NULL,
    list_name TEXT NOT NULL,
    subject_uscc TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    entered_on TEXT NOT NULL,
    entry_reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decision_doc TEXT NOT NULL,
    source TEXT NOT NULL,
    exited_on TEXT,
    exit_reason TEXT,
    exit_doc TEXT,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX credit_list_entries_one_open ON credit_list_entries (subject_uscc, list_kind, list_name) WHERE exited_on IS NULL;
CREATE INDEX credit_list_entries_kind ON credit_list_entries (list_kind, entered_on);

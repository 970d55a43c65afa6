-- Elderly people in special difficulty (issue 11, care domain): the register, entitlements as
-- data, the subsidy ledger in double entry, monthly visits and referrals. Same statements on
-- both backends. Uniqueness that makes operations idempotent lives here: one register entry per
-- resident, one rule per category and service, one journal per key (a month's grant of a
-- person's service, a booking's debit, its reversal), one debit row per booking, one referral
-- per need of a visit.

CREATE TABLE care_register (
    id BIGSERIAL PRIMARY KEY,
    resident_id BIGINT NOT NULL UNIQUE,
    community_id TEXT NOT NULL,
    categories TEXT NOT NULL,
    since_date TEXT NOT NULL,
    until_date TEXT,
    visitor_user_id BIGINT,
    visitor_name TEXT,
    notes TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX care_register_community ON care_register (community_id);

CREATE TABLE care_entitlements (
    id BIGSERIAL PRIMARY KEY,
    category TEXT NOT NULL,
    service TEXT NOT NULL,
    monthly_fen BIGINT NOT NULL,
    per_service_cap_fen BIGINT,
    services_per_month BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX care_entitlements_rule ON care_entitlements (category, service);

-- Accounts: fund:{county}, person:{resident}:{service}, provider:{uscc}. A person's account row
-- is updated (version + 1) before its balance is read for a debit: the row lock serialises
-- concurrent debits of one account on PostgreSQL (SQLite has one writer).
CREATE TABLE care_accounts (
    account TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    resident_id BIGINT,
    service TEXT,
    provider_uscc TEXT,
    cap_fen BIGINT,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX care_accounts_resident ON care_accounts (resident_id);

CREATE TABLE care_journals (
    id BIGSERIAL PRIMARY KEY,
    journal_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    month TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    resident_id BIGINT,
    service TEXT,
    provider_uscc TEXT,
    booking_id BIGINT,
    amount BIGINT NOT NULL,
    actor_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX care_journals_month ON care_journals (month);

CREATE TABLE care_postings (
    id BIGSERIAL PRIMARY KEY,
    journal_id BIGINT NOT NULL,
    account TEXT NOT NULL,
    amount BIGINT NOT NULL,
    month TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX care_postings_account ON care_postings (account, month);
CREATE INDEX care_postings_journal ON care_postings (journal_id);

CREATE TABLE care_booking_debits (
    booking_id BIGINT PRIMARY KEY,
    resident_id BIGINT NOT NULL,
    service TEXT NOT NULL,
    provider_uscc TEXT NOT NULL,
    amount BIGINT NOT NULL,
    debit_journal_id BIGINT,
    reversal_journal_id BIGINT,
    reversed_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE care_visits (
    id BIGSERIAL PRIMARY KEY,
    register_id BIGINT NOT NULL,
    resident_id BIGINT NOT NULL,
    community_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    month TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL,
    place TEXT NOT NULL,
    visitor_user_id BIGINT,
    visitor_name TEXT,
    outcome TEXT NOT NULL,
    needs TEXT NOT NULL,
    recorded_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX care_visits_month ON care_visits (month, resident_id);
CREATE INDEX care_visits_community ON care_visits (community_id, month);

CREATE TABLE care_referrals (
    id BIGSERIAL PRIMARY KEY,
    visit_id BIGINT NOT NULL,
    need_index BIGINT NOT NULL,
    resident_id BIGINT NOT NULL,
    community_id TEXT NOT NULL,
    service TEXT,
    what TEXT NOT NULL,
    to_whom TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX care_referrals_need ON care_referrals (visit_id, need_index);
CREATE INDEX care_referrals_community ON care_referrals (community_id);

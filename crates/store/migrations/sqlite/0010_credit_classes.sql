-- Credit-risk classes, issue 13 (SQLite; keep in step with postgres/): the internal A–D class of
-- each enterprise, with its score, every factor's contribution and the rules' version, recomputed
-- from the records on change and monthly. Never shown to the public or to providers.

CREATE TABLE credit_classes (
    subject_uscc TEXT PRIMARY KEY,
    risk_class TEXT NOT NULL,
    score BIGINT NOT NULL,
    contributions TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    previous_class TEXT,
    computed_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX credit_classes_class ON credit_classes (risk_class);

-- Credit records, issue 13 (SQLite; keep in step with postgres/): administrative licences and
-- penalties in the 双公示 layout, under each enterprise's unified social credit code (谁产生、谁提供、
-- 谁负责: the source department is kept with each), with the penalty's publicity worked out from
-- the rule table and its credit repair. Dates are `YYYY-MM-DD`; amounts in fen.

CREATE TABLE credit_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    subject_uscc TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    doc_number TEXT NOT NULL,
    decided TEXT NOT NULL,
    valid_until TEXT,
    fine_fen BIGINT,
    confiscated_fen BIGINT,
    areas TEXT,
    public_until TEXT,
    repair_from TEXT,
    repaired_on TEXT,
    repair_reason TEXT,
    source TEXT NOT NULL,
    fields TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by BIGINT,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
-- One record per decision document of a kind: a re-import corrects it, never doubles it.
CREATE UNIQUE INDEX credit_records_doc ON credit_records (kind, doc_number);
CREATE INDEX credit_records_subject ON credit_records (subject_uscc, kind);
CREATE INDEX credit_records_public ON credit_records (kind, public_until);

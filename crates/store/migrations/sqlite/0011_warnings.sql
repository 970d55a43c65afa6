-- Early warnings, issue 13 (SQLite; keep in step with postgres/): one row per warning raised by
-- a rule (`lc_credit::warning`), with its severity, assignee, deadline, acknowledgement and
-- resolution. `open_key` is the condition's key while the warning is not resolved and NULL after:
-- the unique index keeps one open warning per condition, whatever runs the evaluation.

CREATE TABLE warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    condition_key TEXT NOT NULL,
    open_key TEXT,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    provider_code TEXT,
    severity TEXT NOT NULL,
    assignee TEXT NOT NULL,
    due_date TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    detail TEXT NOT NULL,
    status TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by BIGINT,
    resolved_at BIGINT,
    resolution TEXT,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX warnings_one_open ON warnings (open_key);
CREATE INDEX warnings_provider ON warnings (provider_code, status);

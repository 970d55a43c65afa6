-- Statistical monitoring, issue 16 items 1-2 (SQLite; keep in step with postgres/): the NBS
-- life-service class of providers and outlets (《生活性服务业统计分类(2019)》, stored as the
-- versioned code `2019:03`, checked against standards/nbs/2019.toml), indicator series per region
-- (assessment runs' snapshots and the platform's own monthly figures), and the monthly job's
-- records (one row per month, compare-and-set, so that two runs of a month cannot interleave).

ALTER TABLE providers ADD COLUMN nbs_class TEXT;
ALTER TABLE facilities ADD COLUMN nbs_class TEXT;

-- One value of one indicator for one region and period. `source` is `assessment` (the run's
-- indicators.csv rows, written in the run's own transaction; `source_run` = assessment run id)
-- or `platform` (the monthly job; `source_run` = monitor_runs id). `dimension` cuts a figure
-- (`service:meal`, `nbs:2019:03`; '' for the whole). A ratio keeps numerator and denominator;
-- `value` is NULL when it is not computable (no denominator), never 0.
CREATE TABLE indicator_series (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    source_run BIGINT NOT NULL,
    period TEXT NOT NULL,
    division_code TEXT NOT NULL,
    level TEXT NOT NULL,
    indicator TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value DOUBLE PRECISION,
    numerator DOUBLE PRECISION,
    denominator DOUBLE PRECISION,
    target DOUBLE PRECISION,
    computed_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX indicator_series_key ON indicator_series (source, source_run, division_code, indicator, dimension);
CREATE INDEX indicator_series_region ON indicator_series (division_code, indicator, period);
CREATE INDEX indicator_series_period ON indicator_series (source, period);

-- The monthly job: one row per month; a run takes it by raising `version` compare-and-set.
CREATE TABLE monitor_months (
    month TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    last_run BIGINT,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

-- Every run of the monthly job (by the hourly sweep, an administrator or the command line).
CREATE TABLE monitor_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    month TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    rows_written BIGINT NOT NULL,
    run_by TEXT NOT NULL,
    created_by BIGINT
);
CREATE INDEX monitor_runs_month ON monitor_runs (month, id);

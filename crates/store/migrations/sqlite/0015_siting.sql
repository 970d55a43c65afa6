-- Siting scenarios, issue 14 item 5 (SQLite; keep in step with postgres/): the registry of
-- candidate plots (where a new facility could be built: position, the division it lies in,
-- capacity and cost when known, where the record came from) and the scenarios run on them
-- (category, number of sites, radius, the chosen sites in order with the people each newly
-- covers, coverage before and after, the proven bound and gap; the whole answer kept as JSON).

CREATE TABLE siting_candidates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    division_code TEXT,
    capacity DOUBLE PRECISION,
    cost DOUBLE PRECISION,
    note TEXT,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE INDEX siting_candidates_division ON siting_candidates (division_code);

CREATE TABLE siting_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    category TEXT NOT NULL,
    sites BIGINT NOT NULL,
    radius_m DOUBLE PRECISION NOT NULL,
    candidates BIGINT NOT NULL,
    covered_before DOUBLE PRECISION NOT NULL,
    covered_after DOUBLE PRECISION NOT NULL,
    bound DOUBLE PRECISION NOT NULL,
    gap DOUBLE PRECISION NOT NULL,
    result TEXT NOT NULL
);

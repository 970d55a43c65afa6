-- Statistical releases, issue 16 item 3 (SQLite; keep in step with postgres/): each quarterly or
-- annual release of a province, city or district, archived with what it was made from.
-- One release per (region, period, kind): the unique index is the rule, so the scheduled job
-- and an administrator cannot both make one (the second insert fails and answers 409
-- release_exists). A release is never changed after it is stored.
CREATE TABLE releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    division_code TEXT NOT NULL,
    region_name TEXT NOT NULL,
    level TEXT NOT NULL,
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    made_on TEXT NOT NULL,
    made_by TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    -- The input (ReleaseInput as JSON: the series values, names, targets and policy) and its
    -- SHA-256; the typed document (Release as JSON); the rendered files with their hashes (the
    -- PDF's bytes in `pdf`, added below in each dialect's binary type).
    input_json TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    document_json TEXT NOT NULL,
    html TEXT NOT NULL,
    html_sha256 TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL
);
CREATE UNIQUE INDEX releases_key ON releases (division_code, period, kind);
CREATE INDEX releases_period ON releases (period, division_code);

-- Dialect-specific from here: the PDF's bytes.
ALTER TABLE releases ADD COLUMN pdf BLOB NOT NULL DEFAULT x'';

-- Dialect-specific from here (the whole file: partitioning is PostgreSQL's)
-- Declarative partitioning by province (issue 16 item 5; PostgreSQL only, SQLite's 0018 is
-- empty). The big tables whose every unique key can carry the region are partitioned by RANGE
-- of a column that already holds a GB/T 2260 division code, one partition per province-level
-- code ('11' <= code < '12' is Beijing's) and a DEFAULT partition for anything else (ids that
-- are not division codes, e.g. imported test ids). No column is added and no query changes:
--   * indicator_series by division_code (its series key already includes it);
--   * care_visits and reviews by community_id (a community id is its 社区/村 12-digit code).
-- PostgreSQL requires every primary key and unique index of a partitioned table to include the
-- partition key: the primary keys become (code, id) with a plain index on id for the lookups by
-- id (one probe per partition), and reviews' one-rating-per-record key becomes
-- (subject_kind, subject_id, community_id), which is as strict, because a review's community is
-- its booking's or visit's (copied from the subject, never changed). Ids keep coming from the
-- same sequences. bookings and residents stay unpartitioned: their idempotency, seat and
-- ID-number keys cannot carry the province (ARCHITECTURE.md, lc-store, "Partitions by province").

DO $$
DECLARE
    t RECORD;
    p TEXT;
    provinces TEXT[] := ARRAY['11','12','13','14','15','21','22','23','31','32','33','34','35',
        '36','37','41','42','43','44','45','46','50','51','52','53','54','61','62','63','64','65',
        '71','81','82'];
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('indicator_series', 'division_code'),
        ('care_visits', 'community_id'),
        ('reviews', 'community_id')) AS v(name, code)
    LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t.name, t.name || '_unpartitioned');
        EXECUTE format('ALTER SEQUENCE %I OWNED BY NONE', t.name || '_id_seq');
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS) PARTITION BY RANGE (%I)',
            t.name, t.name || '_unpartitioned', t.code);
        FOREACH p IN ARRAY provinces LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                t.name || '_p' || p, t.name, p, (p::int + 1)::text);
        END LOOP;
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t.name || '_pother', t.name);
        EXECUTE format('INSERT INTO %I SELECT * FROM %I', t.name, t.name || '_unpartitioned');
        EXECUTE format('DROP TABLE %I', t.name || '_unpartitioned');
        EXECUTE format('ALTER SEQUENCE %I OWNED BY %I.id', t.name || '_id_seq', t.name);
        EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (%I, id)', t.name, t.code);
        EXECUTE format('CREATE INDEX %I ON %I (id)', t.name || '_id', t.name);
    END LOOP;
END
$$;

-- The indexes of 0004-0016, on the partitioned tables (each partition gets its own).
CREATE UNIQUE INDEX indicator_series_key ON indicator_series (source, source_run, division_code, indicator, dimension);
CREATE INDEX indicator_series_region ON indicator_series (division_code, indicator, period);
CREATE INDEX indicator_series_period ON indicator_series (source, period);

CREATE INDEX care_visits_month ON care_visits (month, resident_id);
CREATE INDEX care_visits_community ON care_visits (community_id, month);

CREATE UNIQUE INDEX reviews_one_per_record ON reviews (subject_kind, subject_id, community_id);
CREATE INDEX reviews_month ON reviews (month, facility_id);
CREATE INDEX reviews_provider ON reviews (provider_code, month);
CREATE INDEX reviews_resident ON reviews (resident_id);

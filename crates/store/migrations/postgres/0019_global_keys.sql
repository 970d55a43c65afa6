-- Global keys for the tables partitioned by province (issue 16 item 5). PostgreSQL wants the
-- partition key in every unique index of a partitioned table, so the uniqueness that is national
-- moves into small unpartitioned key tables, written in the same transaction as the row they
-- guard (crates/server: registry/residents.rs, services/bookings.rs, demo_activity.rs), on both
-- databases so that the queries and the errors are the same:
--   * one record per person: an ID-number fingerprint belongs to one resident (was the unique
--     index residents_id_number of 0002);
--   * one booking per account and Idempotency-Key (was bookings_idempotency);
--   * one seat of a slot per resident while it is held (was bookings_one_seat): the row is
--     deleted when the booking lets the seat go (cancelled, rejected, no-show).
CREATE TABLE resident_id_numbers (
    id_number_hash TEXT PRIMARY KEY,
    resident_id BIGINT NOT NULL
);
CREATE UNIQUE INDEX resident_id_numbers_resident ON resident_id_numbers (resident_id);
INSERT INTO resident_id_numbers (id_number_hash, resident_id)
SELECT id_number_hash, id FROM residents WHERE id_number_hash IS NOT NULL;

CREATE TABLE booking_keys (
    booked_by BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    booking_id BIGINT NOT NULL,
    PRIMARY KEY (booked_by, idempotency_key)
);
INSERT INTO booking_keys (booked_by, idempotency_key, booking_id)
SELECT booked_by, idempotency_key, id FROM bookings;

CREATE TABLE booking_seats (
    resident_id BIGINT NOT NULL,
    offering_id BIGINT NOT NULL,
    seat_held BIGINT NOT NULL,
    booking_id BIGINT NOT NULL,
    PRIMARY KEY (resident_id, offering_id, seat_held)
);
CREATE UNIQUE INDEX booking_seats_booking ON booking_seats (booking_id);
INSERT INTO booking_seats (resident_id, offering_id, seat_held, booking_id)
SELECT resident_id, offering_id, seat_held, id FROM bookings WHERE seat_held IS NOT NULL;

-- Dialect-specific from here: residents and bookings partitioned by province (PostgreSQL's;
-- SQLite keeps its tables whole and its unique indexes beside the key tables).
-- As 0018 does for reviews: RANGE partitions of community_id (a community id is its 12-digit
-- 社区/村 code) per province-level GB/T 2260 code and a DEFAULT one; primary key
-- (community_id, id) with a plain index on id; the former unique indexes become plain indexes
-- for the lookups (by key, by resident), their uniqueness now held by the key tables above.
DO $$
DECLARE
    t TEXT;
    p TEXT;
    provinces TEXT[] := ARRAY['11','12','13','14','15','21','22','23','31','32','33','34','35',
        '36','37','41','42','43','44','45','46','50','51','52','53','54','61','62','63','64','65',
        '71','81','82'];
BEGIN
    FOREACH t IN ARRAY ARRAY['residents', 'bookings'] LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_unpartitioned');
        EXECUTE format('ALTER SEQUENCE %I OWNED BY NONE', t || '_id_seq');
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS) PARTITION BY RANGE (community_id)',
            t, t || '_unpartitioned');
        FOREACH p IN ARRAY provinces LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                t || '_p' || p, t, p, (p::int + 1)::text);
        END LOOP;
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_pother', t);
        EXECUTE format('INSERT INTO %I SELECT * FROM %I', t, t || '_unpartitioned');
        EXECUTE format('DROP TABLE %I', t || '_unpartitioned');
        EXECUTE format('ALTER SEQUENCE %I OWNED BY %I.id', t || '_id_seq', t);
        EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (community_id, id)', t);
        EXECUTE format('CREATE INDEX %I ON %I (id)', t || '_id', t);
    END LOOP;
END
$$;

-- The indexes of 0001, 0002 and 0004, on the partitioned tables (each partition gets its own;
-- residents_community is the primary key's leading column now).
CREATE INDEX residents_user ON residents (user_id);
CREATE INDEX residents_id_number ON residents (id_number_hash);
CREATE INDEX bookings_idempotency ON bookings (booked_by, idempotency_key);
CREATE INDEX bookings_resident ON bookings (resident_id, start_ms);
CREATE INDEX bookings_offering ON bookings (offering_id, start_ms);
CREATE INDEX bookings_provider ON bookings (provider_code, start_ms);
CREATE INDEX bookings_community ON bookings (community_id, start_ms);

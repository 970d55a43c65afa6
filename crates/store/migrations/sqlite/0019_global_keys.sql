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
SELECT 1;

-- Services for residents, issue 11 (PostgreSQL; keep in step with sqlite/): what outlets offer
-- and when (offerings with their opening plans, the public-holiday calendar), the seats of each
-- slot, bookings with their history, and the notification outbox. Timestamps are milliseconds
-- since the Unix epoch (UTC); money is in fen (分).

CREATE TABLE offerings (
    id BIGSERIAL PRIMARY KEY,
    facility_id TEXT NOT NULL,
    provider_code TEXT,
    service TEXT NOT NULL,
    delivery TEXT NOT NULL,
    price_fen BIGINT NOT NULL,
    subsidy_cap_fen BIGINT NOT NULL,
    duration_min BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    home_area_m DOUBLE PRECISION,
    cancel_notice_min BIGINT NOT NULL,
    horizon_days BIGINT NOT NULL,
    min_notice_min BIGINT NOT NULL,
    active BIGINT NOT NULL,
    plan TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
-- One offering of a service per outlet and way of delivery.
CREATE UNIQUE INDEX offerings_facility_service ON offerings (facility_id, service, delivery);
CREATE INDEX offerings_provider ON offerings (provider_code);

CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    works_as TEXT,
    name TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The seats of a slot: created at its first booking with the offering's capacity; a booking
-- takes a seat with `UPDATE … SET booked = booked + 1 WHERE … AND booked < capacity`, so the
-- database, not a read before the write, keeps the count within the capacity.
CREATE TABLE slot_seats (
    offering_id BIGINT NOT NULL,
    start_ms BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    booked BIGINT NOT NULL,
    PRIMARY KEY (offering_id, start_ms)
);

CREATE TABLE bookings (
    id BIGSERIAL PRIMARY KEY,
    offering_id BIGINT NOT NULL,
    facility_id TEXT NOT NULL,
    provider_code TEXT,
    service TEXT NOT NULL,
    delivery TEXT NOT NULL,
    resident_id BIGINT NOT NULL,
    community_id TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    booked_by BIGINT NOT NULL,
    consent_method TEXT,
    consent_note TEXT,
    note TEXT,
    price_fen BIGINT NOT NULL,
    subsidy_fen BIGINT NOT NULL,
    late_cancel BIGINT NOT NULL,
    seat_held BIGINT,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
-- The same Idempotency-Key from the same account is one booking.
CREATE UNIQUE INDEX bookings_idempotency ON bookings (booked_by, idempotency_key);
-- A resident holds at most one seat of a slot (`seat_held` is the slot's start while the seat
-- is held, NULL once cancelled or rejected).
CREATE UNIQUE INDEX bookings_one_seat ON bookings (resident_id, offering_id, seat_held) WHERE seat_held IS NOT NULL;
CREATE INDEX bookings_resident ON bookings (resident_id, start_ms);
CREATE INDEX bookings_offering ON bookings (offering_id, start_ms);
CREATE INDEX bookings_provider ON bookings (provider_code, start_ms);
CREATE INDEX bookings_community ON bookings (community_id, start_ms);

CREATE TABLE booking_events (
    id BIGSERIAL PRIMARY KEY,
    booking_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_role TEXT,
    event TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX booking_events_booking ON booking_events (booking_id, id);

-- Notifications to send, written in the transaction of the change they tell of; a sender
-- (SMS, app push, a community worker's call list) marks them delivered.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    recipient_kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    booking_id BIGINT,
    payload TEXT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (delivered_at, id);

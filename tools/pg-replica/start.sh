#!/usr/bin/env bash
# A streaming read replica of the local PostgreSQL cluster (issue 16 item 5), from Debian's
# postgresql-common tools: the cluster `replica` of the primary's version on port 5433, made by
# pg_basebackup -R from 127.0.0.1:5432 and streaming from it through the physical slot
# `lc_replica`. Idempotent: a replica that exists and streams is reused; one that exists but
# does not stream is started, and remade when it still does not stream.
#
# On the primary (reversible, harmless to its other users): a `replication` line for 127.0.0.1
# in pg_hba.conf, the slot, `synchronous_standby_names = 'lc_replica'` and
# `synchronous_commit = local` as the default. So other clients' commits wait for nobody (as
# before); a livingcircle server given a read URL raises its own sessions to `remote_apply`
# and its commits return once the replica has applied them (read-your-writes, ARCHITECTURE.md).
#
# Run as root (or the postgres user). Prints the replica's URL. Usage:
#   tools/pg-replica/start.sh            # make/start it
#   tools/pg-replica/start.sh --remove   # stop and remove the replica and undo the primary's settings
set -euo pipefail

PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICA_PORT="${REPLICA_PORT:-5433}"
NAME=replica
SLOT=lc_replica

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
psql_primary() { psql -X -q -At -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres "$@"; }
psql_replica() { psql -X -q -At -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres "$@"; }

for tool in pg_lsclusters pg_createcluster pg_ctlcluster pg_dropcluster psql; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "tools/pg-replica: $tool is missing (Debian's postgresql-common / postgresql packages) — $tool 缺失" >&2
    exit 1
  }
done

# The primary: the cluster listening on PRIMARY_PORT.
read -r VERSION PRIMARY_NAME < <(pg_lsclusters -h | awk -v p="$PRIMARY_PORT" '$3 == p { print $1, $2; exit }')
if [ -z "${VERSION:-}" ]; then
  echo "tools/pg-replica: no cluster on port $PRIMARY_PORT — 端口 $PRIMARY_PORT 上没有 PostgreSQL 集群" >&2
  exit 1
fi
pg_isready -q -h 127.0.0.1 -p "$PRIMARY_PORT" || {
  echo "tools/pg-replica: the primary on port $PRIMARY_PORT is not running — 主库未运行" >&2
  exit 1
}
HBA="$(psql_primary -c 'SHOW hba_file')"

if [ "${1:-}" = "--remove" ]; then
  if pg_lsclusters -h | awk -v v="$VERSION" -v n="$NAME" '$1 == v && $2 == n' | grep -q .; then
    pg_dropcluster --stop "$VERSION" "$NAME"
  fi
  psql_primary -c "ALTER SYSTEM RESET synchronous_standby_names" -c "ALTER SYSTEM RESET synchronous_commit" -c "SELECT pg_reload_conf()" >/dev/null
  psql_primary -c "SELECT pg_drop_replication_slot('$SLOT') FROM pg_replication_slots WHERE slot_name = '$SLOT'" >/dev/null
  echo "replica removed"
  exit 0
fi

# 1. The primary accepts replication connections from 127.0.0.1 and keeps WAL for the slot.
if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$HBA"; then
  printf '\n# livingcircle read replica (tools/pg-replica)\nhost replication all 127.0.0.1/32 trust\n' >>"$HBA"
fi
psql_primary -c "SELECT pg_create_physical_replication_slot('$SLOT') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT')" >/dev/null
psql_primary \
  -c "ALTER SYSTEM SET synchronous_commit = 'local'" \
  -c "ALTER SYSTEM SET synchronous_standby_names = '$SLOT'" \
  -c "SELECT pg_reload_conf()" >/dev/null

streaming() {
  [ "$(psql_primary -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$SLOT' AND state = 'streaming'" 2>/dev/null)" = 1 ] \
    && [ "$(psql_replica -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]
}
wait_streaming() {
  for _ in $(seq 1 "${1:-30}"); do streaming && return 0; sleep 1; done
  return 1
}
exists() { pg_lsclusters -h | awk -v v="$VERSION" -v n="$NAME" '$1 == v && $2 == n' | grep -q .; }

# 2. Reuse a replica that streams; start one that exists; else (or when that fails) make it.
if exists; then
  if ! streaming; then
    pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" start 2>/dev/null || true
    if ! wait_streaming 20; then
      echo "tools/pg-replica: the existing replica does not stream; remaking it — 现有副本未同步，重建" >&2
      pg_dropcluster --stop "$VERSION" "$NAME"
    fi
  fi
fi
if ! exists; then
  pg_createcluster -p "$REPLICA_PORT" "$VERSION" "$NAME" -- --auth=trust >/dev/null
  DATA="$(pg_lsclusters -h | awk -v v="$VERSION" -v n="$NAME" '$1 == v && $2 == n { print $6 }')"
  # The cluster's own files go; the primary's copy (with standby.signal and
  # primary_conninfo from -R) takes their place. Debian's configuration in /etc stays.
  as_postgres bash -c "find '$DATA' -mindepth 1 -delete && pg_basebackup -h 127.0.0.1 -p '$PRIMARY_PORT' -U postgres -D '$DATA' -R -X stream -S '$SLOT' -c fast"
  as_postgres bash -c "echo \"primary_conninfo = 'host=127.0.0.1 port=$PRIMARY_PORT user=postgres application_name=$SLOT'\" >> '$DATA/postgresql.auto.conf'"
  CONF="/etc/postgresql/$VERSION/$NAME"
  sed -i -e "s/^#\?port = .*/port = $REPLICA_PORT/" "$CONF/postgresql.conf"
  cat >"$CONF/conf.d/livingcircle-replica.conf" <<CONF
# livingcircle read replica (tools/pg-replica/start.sh)
hot_standby = on
hot_standby_feedback = on
max_standby_streaming_delay = 30s
listen_addresses = '127.0.0.1'
CONF
  cp "$HBA" "$CONF/pg_hba.conf"
  chown postgres:postgres "$CONF/pg_hba.conf"
  pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" start
fi
if ! wait_streaming 60; then
  echo "tools/pg-replica: the replica on port $REPLICA_PORT does not stream from $PRIMARY_PORT — 副本未能从主库同步" >&2
  tail -n 20 "/var/log/postgresql/postgresql-$VERSION-$NAME.log" >&2 || true
  exit 1
fi
echo "postgres://postgres@127.0.0.1:$REPLICA_PORT"

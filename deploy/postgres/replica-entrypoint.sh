#!/bin/bash
# Entry point of a streaming replica (official postgres image, run as the postgres user).
# On an empty data directory it clones the primary with pg_basebackup (-R writes
# standby.signal and primary_conninfo; -S streams through the primary's replication slot), then
# runs PostgreSQL as a hot standby. Later starts reuse the data directory and catch up from the slot.
#   PRIMARY_HOST / PRIMARY_PORT  the primary (default postgres-primary:5432)
#   REPLICATION_SLOT             the slot deploy/postgres/primary-init.sh created (idis_replica_1)
#   PGPASSWORD                   the replicator's password (IDIS_REPLICATION_PASSWORD)
set -euo pipefail

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
primary="${PRIMARY_HOST:-postgres-primary}"
port="${PRIMARY_PORT:-5432}"
slot="${REPLICATION_SLOT:-idis_replica_1}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready --host="$primary" --port="$port" --username=replicator --quiet; do
    echo "replica: waiting for the primary at ${primary}:${port}"
    sleep 2
  done
  echo "replica: cloning ${primary}:${port} through slot ${slot}"
  pg_basebackup --host="$primary" --port="$port" --username=replicator --pgdata="$PGDATA" \
    --wal-method=stream --write-recovery-conf --slot="$slot" --checkpoint=fast --no-password
  chmod 700 "$PGDATA"
fi

# hot_standby_feedback: the primary does not vacuum away rows a replica's query still reads (no
# "canceling statement due to conflict with recovery" on long EPCIS queries).
exec postgres -c hot_standby=on -c hot_standby_feedback=on -c max_connections=200 "$@"

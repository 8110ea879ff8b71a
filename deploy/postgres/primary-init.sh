#!/bin/bash
# Runs once, when the official postgres image initialises an empty primary
# (/docker-entrypoint-initdb.d). It prepares streaming replication for deploy/postgres/replica-entrypoint.sh
# and the top-level node's own database.
#   IDIS_REPLICATION_PASSWORD  password of the role `replicator` (REPLICATION, nothing else)
#   IDIS_REPLICA_SLOTS         physical replication slots to create (default idis_replica_1): the
#                              primary keeps WAL until each replica has replayed it
#   IDIS_EXTRA_DATABASES       databases to create besides POSTGRES_DB (default toplevel)
set -euo pipefail

: "${IDIS_REPLICATION_PASSWORD:?IDIS_REPLICATION_PASSWORD must be set}"
slots="${IDIS_REPLICA_SLOTS:-idis_replica_1}"
databases="${IDIS_EXTRA_DATABASES:-toplevel}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$IDIS_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL

for slot in ${slots//,/ }; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -c "SELECT pg_create_physical_replication_slot('${slot}')"
done

for database in ${databases//,/ }; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -c "CREATE DATABASE \"${database}\" OWNER \"${POSTGRES_USER}\""
done

# The image's pg_hba.conf lets `all` databases in with a password, but `all` does not cover
# replication connections: they need their own line.
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"

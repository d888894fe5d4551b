#!/usr/bin/env bash
# Starts a PostgreSQL server on loopback from Debian's packages (installing it when absent) and
# creates the test role and database. Prints nothing on stdout but the DATABASE_URL to use.
# Works as root in a container without systemd. With --fresh the test database is dropped and
# created again, so every test run starts from an empty schema.
set -euo pipefail
FRESH=0; [ "${1:-}" = "--fresh" ] && FRESH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_USER="${PG_TEST_USER:-tlcd}"
PG_PASSWORD="${PG_TEST_PASSWORD:-tlcd}"
PG_DB="${PG_TEST_DB:-tlcd_test}"
PG_PORT="${PG_TEST_PORT:-5432}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian's packages"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >&2
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  log "creating cluster $version/main"
  as_root pg_createcluster "$version" main -p "$PG_PORT" >&2
fi
conf="/etc/postgresql/$version/main/postgresql.conf"
grep -q "^listen_addresses = '127.0.0.1'" "$conf" || echo "listen_addresses = '127.0.0.1'" | as_root tee -a "$conf" >/dev/null
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting PostgreSQL $version on 127.0.0.1:$PG_PORT"
  as_root pg_ctlcluster "$version" main start >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')"

psql_admin() { as_root su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qtAc \"$1\"" ; }
for _ in $(seq 1 30); do psql_admin "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'")" != 1 ]; then
  psql_admin "CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >&2
fi
if [ "$FRESH" = 1 ]; then
  psql_admin "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >&2
fi
if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname='$PG_DB'")" != 1 ]; then
  psql_admin "CREATE DATABASE $PG_DB OWNER $PG_USER" >&2
fi
echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DB"

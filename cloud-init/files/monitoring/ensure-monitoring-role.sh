#!/bin/sh
# Makes sure the role postgres_exporter logs in as exists on this node's PostgreSQL, with the
# pg_monitor rights it needs and nothing more. Idempotent; a systemd timer runs it until the
# failover tool has created the cluster, and again after every failover.
# Only a writable primary can create a role: on a standby the role arrives by replication.
set -eu

# shellcheck source=/dev/null
. "${DR_ESTATE_ETC:-/etc/dr-estate}/estate.env"

role="${MONITORING_ROLE:-prometheus}"
export PGHOST="${PGHOST:-/run/postgresql}"
export PGPORT="${PGPORT:-5432}"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  else
    runuser -u postgres -- "$@"
  fi
}

psql_value() {
  as_postgres psql -X -q -t -A -v ON_ERROR_STOP=1 -d postgres -c "$1"
}

if ! as_postgres pg_isready -q -d postgres; then
  echo "ensure-monitoring-role: PostgreSQL ($NODE_ROLE) is not accepting connections yet; will retry"
  exit 0
fi

if [ "$(psql_value 'SELECT pg_is_in_recovery()')" = t ]; then
  echo "ensure-monitoring-role: this node is a standby; the role comes from the primary"
  exit 0
fi

as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres -v role="$role" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('GRANT pg_monitor TO %I', :'role') \gexec
SQL
echo "ensure-monitoring-role: role $role has pg_monitor"

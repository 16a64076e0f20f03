#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# Tells npm run converge whether this node may be left for the next one: every unit its document
# enables is active and its PostgreSQL answers; on the witness (--formation), the failover formation
# has exactly one primary and one secondary, both in the state the monitor assigned them.
#
#   node-health.sh [--formation] UNIT...
#
# Exit status 0 when healthy, printing whether the local PostgreSQL is `writable` or `read-only`;
# otherwise 1, with the first reason on stderr.
set -eu

formation=no
if [ "${1:-}" = "--formation" ]; then
  formation=yes
  shift
fi
scripts=${DR_ESTATE_SCRIPTS:-/usr/local/lib/dr-estate}
# shellcheck source=../failover/failover-lib.sh
. "$scripts/failover-lib.sh"

unhealthy() {
  echo "node-health: $*" >&2
  exit 1
}

for unit in "$@"; do
  systemctl is-active -q "$unit" || unhealthy "$unit is $(systemctl is-active "$unit" || true)"
done
pg_isready -q -h /var/run/postgresql -p "$pgaf_port" || unhealthy "PostgreSQL on port $pgaf_port does not answer"

if [ "$formation" = yes ]; then
  settled=$(as_postgres psql -h /var/run/postgresql -p "$pgaf_port" -d pg_auto_failover -Atc \
    "select count(*) filter (where reportedstate = 'primary'), count(*) filter (where reportedstate = 'secondary')
       from pgautofailover.node where reportedstate = goalstate")
  [ "$settled" = "1|1" ] || unhealthy "the formation is not settled (settled primaries|secondaries: $settled)"
fi
as_postgres psql -h /var/run/postgresql -p "$pgaf_port" -d postgres -Atc "select case when pg_is_in_recovery() then 'read-only' else 'writable' end"

#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# After the witness was rebuilt (its monitor starts empty), registers this data node with the new
# monitor, keeping its data and role, while its keeper and PostgreSQL keep running (pg_autoctl's
# online monitor replacement). Run it on the primary first: the first node registered becomes the
# primary of the new monitor, the next one its standby.
set -eu
# shellcheck source=failover-lib.sh
. "$(dirname "$0")/failover-lib.sh"

if [ ! -f "$pgaf_pgdata/PG_VERSION" ]; then
  log "no pg_auto_failover node in $pgaf_pgdata: run node-init.sh instead"
  exit 1
fi
# A node set up before the monitor's password moved to the pgpass file has only the replication line.
write_pgpass "$FAILOVER_MONITOR_PASSWORD" "$REPLICATION_PASSWORD"
uri=$(monitor_uri)
if ! wait_until "${JOIN_WAIT_SECONDS:-600}" as_postgres psql "$uri" -Atc "select 1"; then
  log "the monitor at $monitor_host:$monitor_port does not answer"
  exit 1
fi
# Forget the lost monitor (it cannot be reached to unregister from), then join the new one.
as_postgres pg_autoctl disable monitor --force --pgdata "$pgaf_pgdata"
as_postgres pg_autoctl enable monitor --pgdata "$pgaf_pgdata" "$uri"
registered_at=$(as_postgres psql "$uri" -Atc "select now()")

# Both commands signal the running keeper to reload its configuration; a signal that lands while it
# is still applying the previous one is lost, leaving it deaf to the new monitor (and the next
# node waiting for it forever). Ask again until the monitor hears from this node's keeper.
host=$(as_postgres pg_autoctl config get --pgdata "$pgaf_pgdata" pg_autoctl.hostname)
keeper_reports() {
  reports=$(as_postgres psql "$uri" -Atc "select count(*) from pgautofailover.node
    where nodehost = '$host' and nodeport = $pgaf_port and reporttime > '$registered_at'")
  [ "$reports" = 1 ] || { as_postgres pg_autoctl reload --pgdata "$pgaf_pgdata"; false; }
}
if ! wait_until "${JOIN_WAIT_SECONDS:-600}" keeper_reports; then
  log "registered, but this node's keeper does not report to the new monitor: is pg_autoctl running?"
  exit 1
fi
log "registered with the monitor at $monitor_host:$monitor_port; its keeper reports to it"

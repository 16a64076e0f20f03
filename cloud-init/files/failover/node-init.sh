#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# Joins this data node to the estate's pg_auto_failover formation. The primary registers first
# and becomes the writable primary; the standby waits until the formation has a primary, then
# clones it (pg_basebackup) and streams from it over TLS. Idempotent once the node exists.
set -eu
# shellcheck source=failover-lib.sh
. "$(dirname "$0")/failover-lib.sh"

if [ -f "$pgaf_pgdata/PG_VERSION" ]; then
  log "node already initialised in $pgaf_pgdata"
  exit 0
fi

install_tls
write_pgpass "$FAILOVER_MONITOR_PASSWORD" "$REPLICATION_PASSWORD"
node_address=${NODE_ADDRESS:-$(source_address_towards "$monitor_host")}
uri=$(monitor_uri)
join_wait_seconds=${JOIN_WAIT_SECONDS:-3600}

if ! wait_until "$join_wait_seconds" as_postgres psql "$uri" -Atc "select 1"; then
  log "the monitor at $monitor_host:$monitor_port did not answer within ${join_wait_seconds}s"
  exit 1
fi

primary_registered() {
  [ "$(as_postgres psql "$uri" -Atc "select count(*) from pgautofailover.node where reportedstate in ('single', 'primary', 'wait_primary')")" -gt 0 ]
}
# A standby that registered first would become the writable primary of an empty estate.
if [ "$NODE_ROLE" = "standby" ] && ! wait_until "$join_wait_seconds" primary_registered; then
  log "no primary registered within ${join_wait_seconds}s; install the primary from its seed first"
  exit 1
fi

if [ "$NODE_ROLE" = "primary" ]; then priority=100; else priority=50; fi
if [ "$PG_SYNCHRONOUS_REPLICATION" = "true" ]; then quorum=true; else quorum=false; fi

create_pgdata
# Other pieces (WAL archiving) add PostgreSQL settings as files in the estate's conf.d folder. A node
# that clones the primary also clones the include line: the folder must exist before the clone starts.
conf_d=${PG_CONF_D:-$etc/postgresql.conf.d}
install -d -m 0755 "$conf_d"
# pg_autoctl is given no password: its connections (the standby's pg_basebackup, the monitor, later
# pg_rewind and the standby's streaming, whose postmaster inherits the unit's PGPASSFILE) take them
# from the pgpass file, so none sits on a command line or in the keeper's configuration.
as_postgres pg_autoctl create postgres \
  --pgdata "$pgaf_pgdata" --pgport "$pgaf_port" --pgctl "$pg_bin/pg_ctl" \
  --name "$NODE_ROLE" --hostname "$node_address" --dbname "$PG_DATABASE" \
  --monitor "$uri" --auth scram-sha-256 --ssl-mode verify-ca \
  --ssl-ca-file "$pgaf_tls_dir/ca.crt" --server-cert "$pgaf_tls_dir/node.crt" --server-key "$pgaf_tls_dir/node.key" \
  --candidate-priority "$priority" --replication-quorum "$quorum"
harden_default_hba "$pgaf_pgdata"
if ! grep -qF "include_dir '$conf_d'" "$pgaf_pgdata/postgresql.conf"; then
  printf "\n# Settings of the estate's other pieces\ninclude_dir '%s'\n" "$conf_d" >> "$pgaf_pgdata/postgresql.conf"
fi
# The monitor's health checks may come from an address other than the one it registered (its
# provider's outbound address): accept them from anywhere with a certificate of the estate CA.
# pg_rewind (an old primary rejoining as a standby) connects to the "postgres" database as the
# replication user; pg_autoctl only allows that user into replication and $PG_DATABASE.
sed -i '1i hostssl all "pgautofailover_monitor" all trust clientcert=verify-ca\
hostssl postgres "pgautofailover_replicator" all scram-sha-256 clientcert=verify-ca' "$pgaf_pgdata/pg_hba.conf"

as_postgres pg_autoctl config set --pgdata "$pgaf_pgdata" timeout.network_partition_timeout "$keeper_network_partition_timeout" >/dev/null

# The node whose data was created here (the formation's first primary) sets the replication
# password; a node that joined an existing formation (a standby, or a primary reinstalled after a
# failover) cloned its data, password included, from the current primary.
if [ -f "$pgaf_pgdata/PG_VERSION" ] && [ ! -f "$pgaf_pgdata/standby.signal" ]; then
  set_role_password postgres pgautofailover_replicator "$REPLICATION_PASSWORD"
fi
log "$NODE_ROLE joined the formation as $node_address:$pgaf_port"

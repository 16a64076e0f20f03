#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# Creates the pg_auto_failover monitor on the witness: the third vote that decides failover, so
# neither data node can promote itself alone. Idempotent: does nothing once the monitor exists.
set -eu
# shellcheck source=failover-lib.sh
. "$(dirname "$0")/failover-lib.sh"

if [ -f "$pgaf_pgdata/PG_VERSION" ]; then
  log "monitor already initialised in $pgaf_pgdata"
  exit 0
fi

install_tls
create_pgdata
as_postgres pg_autoctl create monitor \
  --pgdata "$pgaf_pgdata" --pgport "$pgaf_port" --pgctl "$pg_bin/pg_ctl" \
  --hostname "${NODE_ADDRESS:-$WITNESS_IPV4}" --skip-pg-hba \
  --ssl-mode verify-ca \
  --ssl-ca-file "$pgaf_tls_dir/ca.crt" --server-cert "$pgaf_tls_dir/node.crt" --server-key "$pgaf_tls_dir/node.key"

# The data nodes may connect from anywhere their firewall lets them (their addresses can change
# with a rebuild); they must hold a certificate of the estate CA and the monitor password.
# The monitor's own service connects over the local socket as autoctl_node.
harden_default_hba "$pgaf_pgdata"
sed -i '1i local "pg_auto_failover" "autoctl_node" peer map=pgautofailover\
hostssl "pg_auto_failover" "autoctl_node" all scram-sha-256 clientcert=verify-ca' "$pgaf_pgdata/pg_hba.conf"
echo "pgautofailover postgres autoctl_node" >> "$pgaf_pgdata/pg_ident.conf"
printf "\n# The estate's failover timing\ninclude '%s'\n" "$etc/pgautofailover-monitor.conf" >> "$pgaf_pgdata/postgresql.conf"

set_role_password pg_auto_failover autoctl_node "$FAILOVER_MONITOR_PASSWORD"
log "monitor initialised in $pgaf_pgdata on port $pgaf_port"

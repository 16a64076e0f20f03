#!/bin/sh
# Shared by the pg_auto_failover scripts: settings, paths and small helpers. Sourced, not run.
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Every path and port can be overridden from the environment so the drill can run three nodes on
# one machine with the very same scripts.

etc=${DR_ESTATE_ETC:-/etc/dr-estate}
# shellcheck source=/dev/null
. "$etc/estate.env"
# shellcheck source=/dev/null
. "$etc/secrets.env"

pg_bin=${PG_BIN:-/usr/lib/postgresql/${PG_MAJOR}/bin}
pgaf_pgdata=${PGAF_PGDATA:-/var/lib/postgresql/${PG_MAJOR}/estate}
pgaf_port=${PGAF_PORT:-5432}
pgaf_tls_dir=${PGAF_TLS_DIR:-/var/lib/postgresql/estate-tls}
monitor_host=${MONITOR_HOST:-$WITNESS_IPV4}
monitor_port=${MONITOR_PORT:-5432}
# Seconds after which a primary that reaches neither the monitor nor its standby demotes itself.
# With wal_sender_timeout (40-fencing.conf) and the shutdown it must stay below the monitor's
# unhealthy + demote timeouts (pgautofailover-monitor.conf): 3 + 6 + 1 < 7 + 6. Converge applies a
# change to running keepers.
keeper_network_partition_timeout=6
export PG_CONFIG="$pg_bin/pg_config"

log() {
  echo "$(basename "$0"): $*" >&2
}

as_postgres() {
  runuser -u postgres -- env PATH="$pg_bin:$PATH" "$@"
}

# The address this node's traffic to the witness leaves from: what peers see and allow. On
# DigitalOcean that is the droplet's own address, not the reserved one.
source_address_towards() {
  ip -4 route get "$1" | sed -n 's/.* src \([0-9.]*\).*/\1/p'
}

# Every libpq connection of pg_auto_failover (keeper, monitor health checks, replication) presents
# the node certificate and takes its passwords from the pgpass file (write_pgpass), so none is ever
# on a command line; the same variables are set in the service unit.
export PGSSLCERT="$pgaf_tls_dir/node.crt" PGSSLKEY="$pgaf_tls_dir/node.key" PGSSLROOTCERT="$pgaf_tls_dir/ca.crt"
export PGPASSFILE="$pgaf_tls_dir/pgpass"

# Copies the estate's TLS files where the postgres user can read them.
install_tls() {
  install -d -o postgres -g postgres -m 0700 "$pgaf_tls_dir"
  install -o postgres -g postgres -m 0644 "$etc/tls/ca.crt" "$pgaf_tls_dir/ca.crt"
  install -o postgres -g postgres -m 0644 "$etc/tls/node.crt" "$pgaf_tls_dir/node.crt"
  install -o postgres -g postgres -m 0600 "$etc/tls/node.key" "$pgaf_tls_dir/node.key"
}

# No password in it: it is passed on command lines and kept in the keeper's configuration.
monitor_uri() {
  echo "postgres://autoctl_node@${monitor_host}:${monitor_port}/pg_auto_failover?sslmode=verify-ca&sslrootcert=${pgaf_tls_dir}/ca.crt"
}

# pgpass_field VALUE: VALUE with libpq's pgpass separators (":" and "\") escaped.
pgpass_field() {
  printf '%s' "$1" | sed 's/[\\:]/\\&/g'
}

# write_pgpass MONITOR_PASSWORD REPLICATION_PASSWORD: a data node's passwords for libpq, readable
# by postgres alone (libpq ignores a laxer file): the monitor's for any monitor address (a rebuilt
# witness may move), the replication user's for the peer.
write_pgpass() {
  staged="$PGPASSFILE.new"
  (
    umask 077
    printf '*:*:pg_auto_failover:autoctl_node:%s\n' "$(pgpass_field "$1")"
    printf '*:*:*:pgautofailover_replicator:%s\n' "$(pgpass_field "$2")"
  ) > "$staged"
  chown postgres:postgres "$staged"
  chmod 0600 "$staged"
  mv -f "$staged" "$PGPASSFILE"
}

# Creates PGDATA for pg_autoctl. It keeps base backups beside PGDATA (in its parent's backup/), so
# the parent (/var/lib/postgresql/MAJOR, absent when no distribution cluster was made) is postgres's too.
create_pgdata() {
  install -d -o postgres -g postgres -m 0755 "$(dirname "$pgaf_pgdata")"
  install -d -o postgres -g postgres -m 0700 "$pgaf_pgdata"
}

# Waits until `$@` succeeds, at most $1 seconds; the rest of the arguments are the command.
wait_until() {
  deadline=$(( $(date +%s) + $1 ))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      return 1
    fi
    sleep 2
  done
}

# initdb's defaults trust every local connection; keep only what pg_auto_failover adds, and make
# local logins peer-authenticated and loopback logins password-authenticated.
harden_default_hba() {
  sed -i -E \
    -e 's/^(local[[:space:]]+.*[[:space:]])trust$/\1peer/' \
    -e 's/^(host[[:space:]]+.*[[:space:]])trust$/\1scram-sha-256/' \
    "$1/pg_hba.conf"
}

# set_role_password DATABASE ROLE PASSWORD: sets a role's password with the node's PostgreSQL
# started just for it (pg_autoctl creates the roles without the passwords the estate generated).
set_role_password() {
  as_postgres pg_ctl -D "$pgaf_pgdata" -o "-p $pgaf_port" -w start >/dev/null
  # The password reaches psql on its standard input, quoted for \set (backslashes and quotes doubled).
  quoted=$(printf '%s' "$3" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")
  as_postgres psql -p "$pgaf_port" -d "$1" -v ON_ERROR_STOP=1 -q -v role="$2" <<SQL
\\set password '$quoted'
ALTER ROLE :"role" PASSWORD :'password';
SQL
  as_postgres pg_ctl -D "$pgaf_pgdata" -w stop >/dev/null
}

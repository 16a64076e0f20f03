#!/bin/sh
# Turns on WAL archiving to pgBackRest for an existing cluster: includes the estate's conf.d folder
# (archive_mode, archive_command, archive_timeout, wal_level) from postgresql.conf, reloads, and on
# the primary creates the stanza and runs `pgbackrest check`. Idempotent: run it again after the
# cluster is created or restarted. archive_mode only takes effect after a restart.
set -eu

SCRIPT_NAME=enable-wal-archiving
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

PGDATA="${PGDATA:-/var/lib/postgresql/${PG_MAJOR}/main}"
PG_CONF_D="${PG_CONF_D:-$DR_ESTATE_ETC/postgresql.conf.d}"
stanza="$ESTATE_NAME"

if [ ! -f "$PGDATA/PG_VERSION" ]; then
  log "no PostgreSQL cluster at $PGDATA yet: nothing to do; run this again once the cluster exists"
  exit 0
fi

include_line="include_dir '$PG_CONF_D'"
if grep -qxF "$include_line" "$PGDATA/postgresql.conf"; then
  log "$PGDATA/postgresql.conf already includes $PG_CONF_D"
else
  printf '\n# WAL archiving to pgBackRest (dr-estate backups)\n%s\n' "$include_line" >> "$PGDATA/postgresql.conf"
  log "added $include_line to $PGDATA/postgresql.conf"
fi

if ! as_postgres "$PG_BIN/pg_ctl" status -D "$PGDATA" > /dev/null; then
  log "PostgreSQL is not running: the settings apply when it starts; run this again then to create the stanza"
  exit 0
fi
as_postgres "$PG_BIN/psql" -X -A -t -q -d postgres -c 'SELECT pg_reload_conf()' > /dev/null
archive_mode=$(as_postgres "$PG_BIN/psql" -X -A -t -q -d postgres -c 'SHOW archive_mode')
if [ "$archive_mode" = "off" ]; then
  log "archive_mode is still off: restart PostgreSQL to turn WAL archiving on, then run this again"
  exit 0
fi

exit_unless_primary "stanza creation"
as_postgres pgbackrest --stanza="$stanza" stanza-create
as_postgres pgbackrest --stanza="$stanza" check
log "WAL archiving to stanza $stanza works"

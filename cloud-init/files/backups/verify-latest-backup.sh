#!/bin/sh
# Restores the newest pg_dump (of any schedule, or the file given) into a scratch cluster of its
# own (a new data directory, socket and port, no TCP; never the live cluster, so nothing is
# replicated or archived), checks that the key tables exist and are readable, removes the scratch
# cluster and exports dr_estate_backup_verification_success (1/0) and
# dr_estate_backup_verification_timestamp_seconds. Checks free disk first: without room it skips
# (dr_estate_backup_verification_skipped 1, exit 0). On failure: exits non-zero and posts to
# ALERT_WEBHOOK_URL (skipped when empty).
# Usage: verify-latest-backup.sh [DUMP_FILE]
set -eu

SCRIPT_NAME=verify-latest-backup
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

# Space or comma separated [schema.]table names; empty means every table the dump holds.
BACKUP_VERIFY_TABLES="${BACKUP_VERIFY_TABLES:-}"
# yes: each checked table must hold at least one row.
BACKUP_VERIFY_REQUIRE_ROWS="${BACKUP_VERIFY_REQUIRE_ROWS:-no}"
# The scratch cluster: removed (and any leftover of a killed run) before and after each run.
BACKUP_VERIFY_SCRATCH_DIR="${BACKUP_VERIFY_SCRATCH_DIR:-/var/tmp/dr-estate-verify}"
BACKUP_VERIFY_PORT="${BACKUP_VERIFY_PORT:-5439}"
# Free space needed: this many times the dump (a custom-format dump is compressed; tables and
# indexes restored take several times its size) plus 64 MiB for the empty cluster.
BACKUP_VERIFY_SPACE_FACTOR="${BACKUP_VERIFY_SPACE_FACTOR:-5}"

# It is removed with rm -rf: a path of its own, at least two levels deep, never around the live cluster.
case "$BACKUP_VERIFY_SCRATCH_DIR" in
  /?*/?*) ;;
  *)
    log "ERROR: BACKUP_VERIFY_SCRATCH_DIR must be an absolute path two levels deep, not '$BACKUP_VERIFY_SCRATCH_DIR'"
    exit 1
    ;;
esac
case "${PGDATA:-}/" in
  "$BACKUP_VERIFY_SCRATCH_DIR"/*)
    log "ERROR: BACKUP_VERIFY_SCRATCH_DIR $BACKUP_VERIFY_SCRATCH_DIR holds the live cluster $PGDATA"
    exit 1
    ;;
esac

exit_unless_primary "backup verification"

umask 077
finished=no
error_log=$(mktemp)
scratch_data="$BACKUP_VERIFY_SCRATCH_DIR/data"

write_verification_metrics() {
  write_metrics dr_estate_backup_verification "# HELP dr_estate_backup_verification_success 1 when the last restore test of the newest dump passed, 0 when it failed.
# TYPE dr_estate_backup_verification_success gauge
dr_estate_backup_verification_success $1
# HELP dr_estate_backup_verification_timestamp_seconds Unix time of the last restore test of the newest dump.
# TYPE dr_estate_backup_verification_timestamp_seconds gauge
dr_estate_backup_verification_timestamp_seconds $(date +%s)"
}

write_skipped_metric() {
  write_metrics dr_estate_backup_verification_skipped "# HELP dr_estate_backup_verification_skipped 1 when the last restore test was skipped for lack of disk space.
# TYPE dr_estate_backup_verification_skipped gauge
dr_estate_backup_verification_skipped $1"
}

# Stops a scratch postmaster (this run's or a killed run's) and removes the scratch directory.
remove_scratch() {
  if [ -f "$scratch_data/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$scratch_data" -m immediate -w -t 60 stop > /dev/null 2>&1 || true
  fi
  rm -rf "$BACKUP_VERIFY_SCRATCH_DIR"
}


fail() {
  log "FAILED: $*"
  remove_scratch || log "ERROR: could not remove the scratch cluster at $BACKUP_VERIFY_SCRATCH_DIR"
  write_verification_metrics 0
  post_alert "backup verification failed on ${NODE_FQDN:-this node}: $*"
  finished=yes
  exit 1
}

# Whatever stops the script early (set -e included) still reports a failed verification.
on_exit() {
  status=$?
  rm -f "$error_log"
  if [ "$finished" != yes ]; then
    finished=yes
    remove_scratch || true
    write_verification_metrics 0
    post_alert "backup verification stopped unexpectedly on ${NODE_FQDN:-this node} (exit $status)"
    [ "$status" -ne 0 ] || status=1
  fi
  exit "$status"
}
trap on_exit EXIT

if [ $# -gt 0 ]; then
  dump="$1"
else
  dump=$(find "$BACKUP_DIR/hourly" "$BACKUP_DIR/daily" "$BACKUP_DIR/weekly" -maxdepth 1 -type f -name '*.dump' \
    -printf '%T@ %p\n' 2> /dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)
fi
[ -n "$dump" ] || fail "no dump found under $BACKUP_DIR"
[ -f "$dump" ] || fail "$dump does not exist"
log "verifying $dump"

"$PG_BIN/pg_restore" --list "$dump" > /dev/null 2> "$error_log" ||
  fail "cannot read the table of contents of $dump: $(tail -n 3 "$error_log")"

remove_scratch
scratch_parent=$(dirname "$BACKUP_VERIFY_SCRATCH_DIR")
mkdir -p "$scratch_parent"
needed_kib=$(( $(wc -c < "$dump") * BACKUP_VERIFY_SPACE_FACTOR / 1024 + 65536 ))
free_kib=$(df -P -k "$scratch_parent" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt "$needed_kib" ]; then
  log "SKIPPED: restoring $dump needs ${needed_kib} KiB free in $scratch_parent, it has ${free_kib} KiB"
  write_skipped_metric 1
  post_alert "backup verification skipped on ${NODE_FQDN:-this node}: not enough free disk in $scratch_parent"
  finished=yes
  exit 0
fi
write_skipped_metric 0

mkdir -m 0700 "$BACKUP_VERIFY_SCRATCH_DIR"
[ "$(id -u)" -ne 0 ] || chown "$PG_OS_USER:" "$BACKUP_VERIFY_SCRATCH_DIR"
as_postgres "$PG_BIN/initdb" -D "$scratch_data" -A peer -U postgres --no-sync > "$error_log" 2>&1 ||
  fail "cannot create the scratch cluster: $(tail -n 3 "$error_log")"
# Unix socket only, in the scratch directory; no WAL kept beyond what crash safety needs.
as_postgres "$PG_BIN/pg_ctl" -D "$scratch_data" -l "$BACKUP_VERIFY_SCRATCH_DIR/postgres.log" -w -t 120 \
  -o "-p $BACKUP_VERIFY_PORT -k $BACKUP_VERIFY_SCRATCH_DIR -c listen_addresses= -c wal_level=minimal -c max_wal_senders=0 -c fsync=off" \
  start > "$error_log" 2>&1 || fail "cannot start the scratch cluster: $(tail -n 3 "$BACKUP_VERIFY_SCRATCH_DIR/postgres.log" 2> /dev/null)"
log "scratch cluster at $scratch_data, port $BACKUP_VERIFY_PORT"

as_postgres "$PG_BIN/createdb" -h "$BACKUP_VERIFY_SCRATCH_DIR" -p "$BACKUP_VERIFY_PORT" dr_estate_verify 2> "$error_log" ||
  fail "cannot create the database in the scratch cluster: $(tail -n 3 "$error_log")"
# The dump is read on stdin (a regular, seekable file) so the postgres user needs no access to it.
as_postgres "$PG_BIN/pg_restore" -h "$BACKUP_VERIFY_SCRATCH_DIR" -p "$BACKUP_VERIFY_PORT" --no-owner --no-acl --exit-on-error -d dr_estate_verify < "$dump" 2> "$error_log" ||
  fail "restoring $dump failed: $(tail -n 3 "$error_log")"

psql_temp() {
  as_postgres "$PG_BIN/psql" -h "$BACKUP_VERIFY_SCRATCH_DIR" -p "$BACKUP_VERIFY_PORT" -X -A -t -q -v ON_ERROR_STOP=1 -d dr_estate_verify "$@"
}

if [ -n "$BACKUP_VERIFY_TABLES" ]; then
  tables=$(printf '%s' "$BACKUP_VERIFY_TABLES" | tr ',' ' ')
else
  tables=$(psql_temp -c "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
                          WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1") ||
    fail "cannot list the tables of the restored dump"
  [ -n "$tables" ] || fail "the restored dump of $dump holds no tables"
fi

set -f
# shellcheck disable=SC2086 # the list is split on white space on purpose
for table in $tables; do
  # The name travels as a psql variable and is resolved by to_regclass: never pasted into SQL.
  regclass=$(printf '%s\n' "SELECT to_regclass(:'name')" | psql_temp -v name="$table" 2> "$error_log") ||
    fail "cannot look up table $table: $(tail -n 3 "$error_log")"
  [ -n "$regclass" ] || fail "table $table is missing from the restored dump"
  rows=$(printf '%s\n' "SELECT format('SELECT count(*) FROM %s', to_regclass(:'name')) \\gexec" | psql_temp -v name="$table" 2> "$error_log") ||
    fail "cannot read table $table: $(tail -n 3 "$error_log")"
  if [ "$BACKUP_VERIFY_REQUIRE_ROWS" = yes ] && [ "$rows" -eq 0 ]; then
    fail "table $table is empty in the restored dump"
  fi
  log "table $table: $rows rows"
done
set +f

remove_scratch
write_verification_metrics 1
finished=yes
log "verification of $dump passed"

#!/bin/sh
# Restores the newest pg_dump (of any schedule, or the file given) into a temporary database,
# checks that the key tables exist and are readable, drops the temporary database and exports
# dr_estate_backup_verification_success (1/0) and dr_estate_backup_verification_timestamp_seconds.
# On failure: exits non-zero and posts to ALERT_WEBHOOK_URL (skipped when empty).
# Usage: verify-latest-backup.sh [DUMP_FILE]
set -eu

SCRIPT_NAME=verify-latest-backup
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

# Space or comma separated [schema.]table names; empty means every table the dump holds.
BACKUP_VERIFY_TABLES="${BACKUP_VERIFY_TABLES:-}"
# yes: each checked table must hold at least one row.
BACKUP_VERIFY_REQUIRE_ROWS="${BACKUP_VERIFY_REQUIRE_ROWS:-no}"

exit_unless_primary "backup verification"

umask 077
temp_db=""
finished=no
error_log=$(mktemp)

write_verification_metrics() {
  write_metrics dr_estate_backup_verification "# HELP dr_estate_backup_verification_success 1 when the last restore test of the newest dump passed, 0 when it failed.
# TYPE dr_estate_backup_verification_success gauge
dr_estate_backup_verification_success $1
# HELP dr_estate_backup_verification_timestamp_seconds Unix time of the last restore test of the newest dump.
# TYPE dr_estate_backup_verification_timestamp_seconds gauge
dr_estate_backup_verification_timestamp_seconds $(date +%s)"
}

drop_temp_db() {
  if [ -n "$temp_db" ]; then
    as_postgres "$PG_BIN/dropdb" --if-exists "$temp_db" && temp_db=""
  fi
}

fail() {
  log "FAILED: $*"
  drop_temp_db || log "ERROR: could not drop the temporary database $temp_db"
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
    drop_temp_db || true
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

temp_db="dr_estate_verify_$(date -u +%Y%m%d%H%M%S)_$$"
as_postgres "$PG_BIN/createdb" "$temp_db" 2> "$error_log" || {
  temp_db=""
  fail "cannot create a temporary database: $(tail -n 3 "$error_log")"
}
# The dump is read on stdin (a regular, seekable file) so the postgres user needs no access to it.
as_postgres "$PG_BIN/pg_restore" --no-owner --no-acl --exit-on-error -d "$temp_db" < "$dump" 2> "$error_log" ||
  fail "restoring $dump failed: $(tail -n 3 "$error_log")"

psql_temp() {
  as_postgres "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "$temp_db" "$@"
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

as_postgres "$PG_BIN/dropdb" "$temp_db" 2> "$error_log" || fail "cannot drop $temp_db: $(tail -n 3 "$error_log")"
temp_db=""
write_verification_metrics 1
finished=yes
log "verification of $dump passed"

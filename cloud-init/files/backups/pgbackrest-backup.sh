#!/bin/sh
# Runs one pgBackRest job of the estate's stanza on the current primary: a full, diff or incr
# backup (into every configured repository), or a check / verify of the repository.
# Exports dr_estate_pgbackrest_last_success_timestamp_seconds{operation} and
# dr_estate_pgbackrest_last_run_success{operation} (1/0); on failure exits non-zero and posts to
# ALERT_WEBHOOK_URL.
# Usage: pgbackrest-backup.sh full|diff|incr|check|verify
set -eu

SCRIPT_NAME=pgbackrest-backup
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

# Repositories backups go to ("1", or "1 2" with the off-site repository), from backups.env.
PGBACKREST_REPOS="${PGBACKREST_REPOS:-1}"
stanza="$ESTATE_NAME"

operation="${1:-}"
case "$operation" in
  full | diff | incr | check | verify) ;;
  *)
    echo "usage: $0 full|diff|incr|check|verify" >&2
    exit 64
    ;;
esac

exit_unless_primary "pgBackRest $operation"

# pgBackRest jobs of this node run one after the other (a weekly full may outlast an hourly slot).
mkdir -p "$BACKUP_DIR"
exec 9> "$BACKUP_DIR/.pgbackrest.lock"
if ! flock -w 10800 9; then
  log "ERROR: gave up waiting for the previous pgBackRest job"
  exit 1
fi

# A file of its own, so a failed run keeps the last success time.
write_run_result() {
  write_metrics "dr_estate_pgbackrest_${operation}_result" "# HELP dr_estate_pgbackrest_last_run_success 1 when the last pgBackRest job of each operation succeeded, 0 when it failed.
# TYPE dr_estate_pgbackrest_last_run_success gauge
dr_estate_pgbackrest_last_run_success{operation=\"$operation\"} $1"
}

run() {
  log "pgbackrest --stanza=$stanza $*"
  if ! as_postgres pgbackrest --stanza="$stanza" "$@"; then
    log "FAILED: pgbackrest --stanza=$stanza $*"
    write_run_result 0
    post_alert "pgBackRest $* failed for stanza $stanza on ${NODE_FQDN:-this node}"
    exit 1
  fi
}

case "$operation" in
  full | diff | incr)
    # After a failover the new primary's local repository may have no stanza yet; creating an
    # existing, matching stanza is a no-op. With no full backup yet, pgBackRest takes a full one.
    run stanza-create
    for repo in $PGBACKREST_REPOS; do
      run --repo="$repo" --type="$operation" backup
    done
    ;;
  check) run check ;;
  verify)
    for repo in $PGBACKREST_REPOS; do
      run --repo="$repo" verify
    done
    ;;
esac

write_metrics "dr_estate_pgbackrest_$operation" "# HELP dr_estate_pgbackrest_last_success_timestamp_seconds Unix time of the last successful pgBackRest job of each operation.
# TYPE dr_estate_pgbackrest_last_success_timestamp_seconds gauge
dr_estate_pgbackrest_last_success_timestamp_seconds{operation=\"$operation\"} $(date +%s)"
write_run_result 1
log "pgBackRest $operation done"

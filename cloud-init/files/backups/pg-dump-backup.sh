#!/bin/sh
# pg_dump -Fc of the estate's database into BACKUP_DIR/<schedule>/ under a UTC timestamped name
# (written to a temp name, checked, renamed), then prunes that schedule by age and exports
# dr_estate_backup_last_success_timestamp_seconds{schedule} for the node exporter.
# Usage: pg-dump-backup.sh hourly|daily|weekly
set -eu

SCRIPT_NAME=pg-dump-backup
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

schedule="${1:-}"
case "$schedule" in
  hourly) max_age_minutes=$((BACKUP_HOURLY_RETENTION_HOURS * 60)) ;;
  daily) max_age_minutes=$((BACKUP_DAILY_RETENTION_DAYS * 1440)) ;;
  weekly) max_age_minutes=$((BACKUP_WEEKLY_RETENTION_WEEKS * 7 * 1440)) ;;
  *)
    echo "usage: $0 hourly|daily|weekly" >&2
    exit 64
    ;;
esac

exit_unless_primary "the $schedule dump"

umask 077
target_dir="$BACKUP_DIR/$schedule"
mkdir -p "$target_dir"

# One dump per schedule at a time; a run that finds the previous one still going fails loudly.
exec 9> "$BACKUP_DIR/.$schedule.lock"
if ! flock -n 9; then
  log "ERROR: the previous $schedule dump is still running"
  exit 1
fi

name="${PG_DATABASE}-${schedule}-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$target_dir/.$name.partial"
trap 'rm -f "$partial"' EXIT

log "dumping database $PG_DATABASE to $target_dir/$name"
as_postgres "$PG_BIN/pg_dump" -Fc -d "$PG_DATABASE" > "$partial"
# A dump whose table of contents cannot be read is not kept under a final name.
"$PG_BIN/pg_restore" --list "$partial" > /dev/null
mv -f "$partial" "$target_dir/$name"
size=$(wc -c < "$target_dir/$name")
log "wrote $target_dir/$name ($size bytes)"

write_metrics "dr_estate_backup_$schedule" "# HELP dr_estate_backup_last_success_timestamp_seconds Unix time of the last successful pg_dump of each schedule.
# TYPE dr_estate_backup_last_success_timestamp_seconds gauge
dr_estate_backup_last_success_timestamp_seconds{schedule=\"$schedule\"} $(date +%s)
# HELP dr_estate_backup_last_size_bytes Size of the last successful pg_dump of each schedule.
# TYPE dr_estate_backup_last_size_bytes gauge
dr_estate_backup_last_size_bytes{schedule=\"$schedule\"} $size"

# Retention by age (mtime), only this schedule's dumps; leftovers of interrupted runs go too.
find "$target_dir" -maxdepth 1 -type f -name "${PG_DATABASE}-${schedule}-*.dump" -mmin "+$max_age_minutes" -print |
  while IFS= read -r old; do
    rm -f "$old"
    log "pruned $old (older than $max_age_minutes minutes)"
  done
find "$target_dir" -maxdepth 1 -type f -name '.*.partial' -mmin +1440 -delete

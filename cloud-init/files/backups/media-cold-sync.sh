#!/bin/sh
# The nightly cold copy of the media folder, off the host: `rclone sync` into the off-site bucket
# through rclone's crypt remote, so the bucket holds encrypted names and contents only. A file
# deleted or replaced since the last copy moves to deleted/DAY in the bucket and is removed after
# MEDIA_OFFSITE_RETENTION_DAYS. Only the current primary copies. Exports
# dr_estate_media_sync_last_success_timestamp_seconds. Refuses to sync an empty media folder over
# a non-empty copy (an unmounted volume would otherwise move the whole copy to deleted/).
#
#   media-cold-sync.sh              copy (the cron job)
#   media-cold-sync.sh restore DIR  copy the newest cold copy into DIR
set -eu

SCRIPT_NAME=media-cold-sync
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

MEDIA_DIR="${MEDIA_DIR:-/srv/media}"
MEDIA_OFFSITE_ENV="${MEDIA_OFFSITE_ENV:-$DR_ESTATE_ETC/media-offsite.env}"

if [ ! -f "$MEDIA_OFFSITE_ENV" ]; then
  log "no off-site bucket for the media (backups.offsite in the estate description): no cold copy"
  exit 0
fi
# shellcheck source=/dev/null
. "$MEDIA_OFFSITE_ENV"

# rclone reads remotes from RCLONE_CONFIG_<REMOTE>_<OPTION>: no configuration file to keep, and
# nothing secret on a command line. The passphrase reaches `rclone obscure` on its standard input.
RCLONE_CONFIG=/dev/null
RCLONE_CONFIG_DROFFSITE_TYPE=s3
RCLONE_CONFIG_DROFFSITE_PROVIDER=Other
RCLONE_CONFIG_DROFFSITE_ENDPOINT="https://$MEDIA_OFFSITE_ENDPOINT"
RCLONE_CONFIG_DROFFSITE_REGION="$MEDIA_OFFSITE_REGION"
RCLONE_CONFIG_DROFFSITE_ACCESS_KEY_ID="$MEDIA_OFFSITE_ACCESS_KEY_ID"
RCLONE_CONFIG_DROFFSITE_SECRET_ACCESS_KEY="$MEDIA_OFFSITE_SECRET_ACCESS_KEY"
# The key may only use the bucket: it cannot create one.
RCLONE_CONFIG_DROFFSITE_NO_CHECK_BUCKET=true
RCLONE_CONFIG_DRMEDIA_TYPE=crypt
RCLONE_CONFIG_DRMEDIA_REMOTE="droffsite:$MEDIA_OFFSITE_BUCKET/$MEDIA_OFFSITE_PATH"
RCLONE_CONFIG_DRMEDIA_PASSWORD=$(printf '%s' "$MEDIA_CIPHER_PASSPHRASE" | rclone obscure -)
export RCLONE_CONFIG RCLONE_CONFIG_DROFFSITE_TYPE RCLONE_CONFIG_DROFFSITE_PROVIDER RCLONE_CONFIG_DROFFSITE_ENDPOINT \
  RCLONE_CONFIG_DROFFSITE_REGION RCLONE_CONFIG_DROFFSITE_ACCESS_KEY_ID RCLONE_CONFIG_DROFFSITE_SECRET_ACCESS_KEY \
  RCLONE_CONFIG_DROFFSITE_NO_CHECK_BUCKET RCLONE_CONFIG_DRMEDIA_TYPE RCLONE_CONFIG_DRMEDIA_REMOTE RCLONE_CONFIG_DRMEDIA_PASSWORD

if [ "${1:-}" = restore ]; then
  [ $# -eq 2 ] || { log "usage: $0 restore DIR"; exit 2; }
  mkdir -p "$2"
  log "restoring the cold copy into $2"
  rclone copy --log-level NOTICE drmedia:current "$2"
  log "restored: $(find "$2" -type f | wc -l) files in $2"
  exit 0
fi
[ $# -eq 0 ] || { log "usage: $0 [restore DIR]"; exit 2; }

exit_unless_primary "the media cold copy"
if [ ! -d "$MEDIA_DIR" ]; then
  log "media folder $MEDIA_DIR does not exist on this node: nothing to copy"
  exit 0
fi
if [ -z "$(find "$MEDIA_DIR" -mindepth 1 -print -quit)" ] && [ -n "$(rclone lsf --max-depth 1 drmedia:current 2> /dev/null | head -n 1)" ]; then
  log "ERROR: $MEDIA_DIR is empty but the cold copy is not: refusing to sync over it (is the media volume mounted?)"
  post_alert "media cold copy refused on ${NODE_FQDN:-this node}: $MEDIA_DIR is empty"
  exit 1
fi

day=$(date -u +%Y-%m-%d)
log "copying $MEDIA_DIR/ to the off-site bucket $MEDIA_OFFSITE_BUCKET/$MEDIA_OFFSITE_PATH (encrypted)"
if ! rclone_output=$(rclone sync --log-level NOTICE --stats-one-line --stats-log-level NOTICE --stats 0 \
  --backup-dir "drmedia:deleted/$day" "$MEDIA_DIR" drmedia:current 2>&1); then
  log "FAILED: rclone sync: $(printf '%s\n' "$rclone_output" | tail -n 3)"
  post_alert "media cold copy failed on ${NODE_FQDN:-this node}"
  exit 1
fi
log "copied: $(printf '%s\n' "$rclone_output" | tail -n 1)"
# By the day a file was deleted (its folder's name), not its modification time, which may be old.
cutoff=$(date -u -d "$MEDIA_OFFSITE_RETENTION_DAYS days ago" +%Y%m%d)
for folder in $(rclone lsf --dirs-only drmedia:deleted 2> /dev/null || true); do
  deleted_day=${folder%/}
  case $deleted_day in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
    *) continue ;;
  esac
  if [ "$(printf '%s' "$deleted_day" | tr -d -)" -lt "$cutoff" ]; then
    log "removing the files deleted on $deleted_day (kept $MEDIA_OFFSITE_RETENTION_DAYS days)"
    rclone purge --log-level ERROR "drmedia:deleted/$deleted_day" || log "ERROR: could not remove deleted/$deleted_day from the cold copy"
  fi
done

write_metrics dr_estate_media_sync "# HELP dr_estate_media_sync_last_success_timestamp_seconds Unix time of the last successful media cold copy to the off-site bucket.
# TYPE dr_estate_media_sync_last_success_timestamp_seconds gauge
dr_estate_media_sync_last_success_timestamp_seconds $(date +%s)"

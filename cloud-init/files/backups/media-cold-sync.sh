#!/bin/sh
# Mirrors the media folder to cold storage (rsync -a --delete) and exports
# dr_estate_media_sync_last_success_timestamp_seconds. Refuses to mirror an empty media folder
# over a non-empty copy (an unmounted volume would otherwise wipe the cold copy).
set -eu

SCRIPT_NAME=media-cold-sync
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

MEDIA_DIR="${MEDIA_DIR:-/srv/media}"
COLD_STORAGE_DIR="${COLD_STORAGE_DIR:-/srv/cold-storage/media}"

if [ ! -d "$MEDIA_DIR" ]; then
  log "media folder $MEDIA_DIR does not exist on this node: nothing to sync"
  exit 0
fi
mkdir -p "$COLD_STORAGE_DIR"
if [ -z "$(find "$MEDIA_DIR" -mindepth 1 -print -quit)" ] && [ -n "$(find "$COLD_STORAGE_DIR" -mindepth 1 -print -quit)" ]; then
  log "ERROR: $MEDIA_DIR is empty but $COLD_STORAGE_DIR is not: refusing to delete the cold copy (is the media volume mounted?)"
  post_alert "media cold sync refused on ${NODE_FQDN:-this node}: $MEDIA_DIR is empty"
  exit 1
fi

log "syncing $MEDIA_DIR/ to $COLD_STORAGE_DIR/"
if ! rsync -a --delete --stats "$MEDIA_DIR/" "$COLD_STORAGE_DIR/" > "$COLD_STORAGE_DIR.rsync-stats" 2>&1; then
  log "FAILED: rsync: $(tail -n 3 "$COLD_STORAGE_DIR.rsync-stats")"
  post_alert "media cold sync failed on ${NODE_FQDN:-this node}"
  exit 1
fi
log "synced: $(grep -E '^Number of (regular )?files transferred' "$COLD_STORAGE_DIR.rsync-stats" || true)"
rm -f "$COLD_STORAGE_DIR.rsync-stats"

write_metrics dr_estate_media_sync "# HELP dr_estate_media_sync_last_success_timestamp_seconds Unix time of the last successful media sync to cold storage.
# TYPE dr_estate_media_sync_last_success_timestamp_seconds gauge
dr_estate_media_sync_last_success_timestamp_seconds $(date +%s)"

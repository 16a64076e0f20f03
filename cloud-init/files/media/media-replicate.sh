#!/bin/sh
# Pushes the media folder to the peer data node, run every few seconds by
# dr-estate-media-replication.timer on both data nodes. Only the node whose local PostgreSQL is the
# writable primary pushes, checked before each push, so the direction follows the database after a
# failover. --update: a file newer on the peer is never overwritten by an older one (the old primary
# returning). A file deleted or replaced here is moved on the peer into .media-trash/DAY, which each
# node removes after MEDIA_TRASH_DAYS. The peer's key only runs rrsync confined to its media folder.
set -eu

SCRIPT_NAME=media-replicate
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/../backups source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

MEDIA_DIR="${MEDIA_DIR:-/srv/media}"
MEDIA_REPLICATION_DIR="${MEDIA_REPLICATION_DIR:-$DR_ESTATE_ETC/media-replication}"
MEDIA_TRASH_DAYS="${MEDIA_TRASH_DAYS:-7}"
MEDIA_PEER_PORT="${MEDIA_PEER_PORT:-22}"
MEDIA_PEER_USER="${MEDIA_PEER_USER:-media-replica}"
trash=.media-trash

if [ -d "$MEDIA_DIR/$trash" ]; then
  find "$MEDIA_DIR/$trash" -mindepth 1 -maxdepth 1 -type d -mtime +"$MEDIA_TRASH_DAYS" -exec rm -rf {} +
fi

exit_unless_primary "the media push"
[ -d "$MEDIA_DIR" ] || { log "media folder $MEDIA_DIR does not exist: nothing to push"; exit 0; }
# shellcheck source=/dev/null
. "$MEDIA_REPLICATION_DIR/peer.env"

ssh_command="ssh -i $MEDIA_REPLICATION_DIR/id_ed25519 -p $MEDIA_PEER_PORT -o UserKnownHostsFile=$MEDIA_REPLICATION_DIR/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10"
if ! output=$(rsync -rlt --update --delete --backup --backup-dir="$trash/$(date -u +%Y-%m-%d)" --exclude="/$trash/" \
  --stats -e "$ssh_command" "$MEDIA_DIR/" "$MEDIA_PEER_USER@$MEDIA_PEER_ADDRESS:" 2>&1); then
  log "FAILED: rsync to $MEDIA_PEER_ADDRESS: $(printf '%s\n' "$output" | tail -n 3)"
  exit 1
fi

write_metrics dr_estate_media_replication "# HELP dr_estate_media_replication_last_success_timestamp_seconds Unix time of the last successful media push to the peer data node.
# TYPE dr_estate_media_replication_last_success_timestamp_seconds gauge
dr_estate_media_replication_last_success_timestamp_seconds $(date +%s)"

#!/bin/sh
# Takes a snapshot of ZFS_DATASET named @dr-estate-<UTC time> and destroys this script's snapshots
# older than ZFS_SNAPSHOT_RETENTION_DAYS (default 14); other snapshots are never touched.
# Exports dr_estate_zfs_snapshot_last_success_timestamp_seconds. No dataset configured: exits 0.
set -eu

SCRIPT_NAME=zfs-snapshots
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"

ZFS_DATASET="${ZFS_DATASET:-}"
ZFS_SNAPSHOT_RETENTION_DAYS="${ZFS_SNAPSHOT_RETENTION_DAYS:-14}"
prefix="dr-estate-"

if [ -z "$ZFS_DATASET" ]; then
  log "no ZFS dataset configured (ZFS_DATASET is empty): no snapshots on this node"
  exit 0
fi
if ! command -v zfs > /dev/null; then
  log "ERROR: ZFS_DATASET is $ZFS_DATASET but the zfs command is missing"
  exit 1
fi

snapshot="$ZFS_DATASET@$prefix$(date -u +%Y%m%dT%H%M%SZ)"
zfs snapshot "$snapshot"
log "created $snapshot"

now=$(date +%s)
max_age=$((ZFS_SNAPSHOT_RETENTION_DAYS * 86400))
# -H -p: tab separated, creation as Unix seconds; -d 1: snapshots of this dataset only.
zfs list -H -p -t snapshot -o name,creation -d 1 "$ZFS_DATASET" |
  while IFS="$(printf '\t')" read -r name creation; do
    case "$name" in
      "$ZFS_DATASET@$prefix"*)
        if [ $((now - creation)) -gt "$max_age" ]; then
          zfs destroy "$name"
          log "destroyed $name (older than $ZFS_SNAPSHOT_RETENTION_DAYS days)"
        fi
        ;;
    esac
  done

write_metrics dr_estate_zfs_snapshot "# HELP dr_estate_zfs_snapshot_last_success_timestamp_seconds Unix time of the last successful ZFS snapshot run.
# TYPE dr_estate_zfs_snapshot_last_success_timestamp_seconds gauge
dr_estate_zfs_snapshot_last_success_timestamp_seconds $(date +%s)"

#!/bin/sh
# Mounts the provider's data volume at PostgreSQL's home before PostgreSQL is installed. The volume
# may be attached a little after first boot (it is a separate resource), so wait for it rather than
# let PostgreSQL initialise on the root disk, where a server rebuild would lose it.
set -eu

device=${1:?usage: mount-data-volume.sh DEVICE}
mount_point=/var/lib/postgresql
wait_seconds=${DATA_VOLUME_WAIT_SECONDS:-600}

waited=0
while [ ! -b "$device" ]; do
  if [ "$waited" -ge "$wait_seconds" ]; then
    echo "data volume $device did not appear within ${wait_seconds}s; refusing to put PostgreSQL on the root disk" >&2
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
done

# A new volume arrives formatted by the provider; format only if it carries no filesystem at all.
if ! blkid "$device" >/dev/null 2>&1; then
  mkfs.ext4 -L pgdata "$device"
fi

mkdir -p "$mount_point"
if ! grep -q " $mount_point " /etc/fstab; then
  echo "$device $mount_point ext4 defaults,nofail,discard 0 2" >> /etc/fstab
fi
mountpoint -q "$mount_point" || mount "$mount_point"

#!/bin/sh
# Hides other users' processes in /proc (hidepid=2): their command lines, environments and file
# descriptors, where a secret passed to a program could otherwise be read by www-data, nats or
# prometheus. Root, and so every root service, still sees them all; no service of the estate reads
# another user's processes, so no group is exempted. The fstab line keeps it across reboots
# (systemd-remount-fs applies it); the remount applies it now. Idempotent.
set -eu

fstab=${FSTAB:-/etc/fstab}
proc=${PROC_MOUNT:-/proc}
options=defaults,hidepid=2

if grep -Eq '^[[:space:]]*proc[[:space:]]+/proc[[:space:]]' "$fstab"; then
  sed -i -E "s|^[[:space:]]*proc[[:space:]]+/proc[[:space:]]+proc[[:space:]]+[^[:space:]]+|proc /proc proc $options|" "$fstab"
else
  printf 'proc /proc proc %s 0 0\n' "$options" >>"$fstab"
fi
mount -o remount,hidepid=2 "$proc"

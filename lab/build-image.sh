#!/usr/bin/env bash
# Builds the lab's operating-system image: a Debian 12 root filesystem as a fresh cloud image has it
# (systemd, cloud-init with the NoCloud datasource, sshd, no estate package installed), plus a local
# apt repository holding the packages the estate's documents install and their dependencies, so
# the lab's nodes boot and install with no network. Cached by content, so a second run takes a
# moment; the first takes a few minutes (mmdebstrap, then the downloads from the Debian mirror).
#
#   build-image.sh PACKAGE...     prints the cache folder: rootfs/ and repo/
set -euo pipefail

packages=("$@")
[[ ${#packages[@]} -gt 0 ]] || { echo "usage: build-image.sh PACKAGE..." >&2; exit 2; }
for tool in mmdebstrap systemd-nspawn apt-ftparchive; do
  command -v "$tool" >/dev/null || { echo "build-image.sh: $tool is missing: install mmdebstrap, systemd-container and apt-utils (.ci/install-debian-packages.sh)" >&2; exit 1; }
done

suite=bookworm
mirror=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What a cloud image brings: init, cloud-init and its NoCloud datasource, sshd, sudo, networkd.
base=systemd,systemd-sysv,systemd-resolved,dbus,cloud-init,openssh-server,sudo,iproute2,netbase,ca-certificates,python3,procps,less
key=$(printf '%s\n' "$suite" "$mirror" "$base" "$(printf '%s\n' "${packages[@]}" | sort -u)" | cat - "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
cache_root=${DR_LAB_CACHE:-$HOME/.cache/dr-estate-lab}
out="$cache_root/$key"
if [[ -f "$out/.complete" ]]; then
  echo "$out"
  exit 0
fi

rm -rf "$out.partial"
mkdir -p "$out.partial"
echo "lab image: mmdebstrap $suite with $base" >&2
mmdebstrap --quiet --variant=minbase --include="$base" "$suite" "$out.partial/rootfs" "$mirror" >&2

rootfs="$out.partial/rootfs"
# The packages the documents install, with every dependency, fetched once into the local repository.
# (No daemon of the image runs inside this chroot; apt only downloads.)
# Name resolution as this machine has it, while apt downloads (the mirror may be named in /etc/hosts).
cp "$rootfs/etc/hosts" "$out.partial/hosts.image"
rm -f "$rootfs/etc/resolv.conf"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
cp /etc/hosts "$rootfs/etc/hosts"
chroot "$rootfs" apt-get update -qq
chroot "$rootfs" apt-get install -y -qq --download-only --no-install-recommends "${packages[@]}" >&2
mkdir -p "$out.partial/repo"
mv "$rootfs"/var/cache/apt/archives/*.deb "$out.partial/repo/"
(cd "$out.partial/repo" && apt-ftparchive packages . > Packages)
mv "$out.partial/hosts.image" "$rootfs/etc/hosts"

# apt reads only the lab's repository (bind-mounted at /var/lib/lab-apt by lab/containers.ts).
rm -f "$rootfs"/etc/apt/sources.list "$rootfs"/etc/apt/sources.list.d/*
echo "deb [trusted=yes] file:/var/lib/lab-apt ./" > "$rootfs/etc/apt/sources.list.d/lab.list"
mkdir -p "$rootfs/var/lib/lab-apt"
rm -rf "$rootfs"/var/lib/apt/lists/*
# cloud-init reads its seed from /var/lib/cloud/seed/nocloud and nothing else.
printf 'datasource_list: [ NoCloud, None ]\n' > "$rootfs/etc/cloud/cloud.cfg.d/90-lab-datasource.cfg"
# A fresh image: no machine id, no host keys, networkd to bring up what network-config describes.
: > "$rootfs/etc/machine-id"
rm -f "$rootfs"/etc/ssh/ssh_host_*
chroot "$rootfs" systemctl enable systemd-networkd systemd-resolved >/dev/null 2>&1
ln -sf /run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"
touch "$out.partial/.complete"
rm -rf "$out"
mv "$out.partial" "$out"
echo "$out"

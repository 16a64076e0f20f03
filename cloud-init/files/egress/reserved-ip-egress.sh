#!/bin/sh
# DigitalOcean: sends the droplet's outgoing IPv4 traffic from its reserved IP, through the anchor
# gateway, once the reserved IP is assigned. Peers' allow-lists then name only the reserved IP,
# which survives a replaced droplet (a new droplet has a new address of its own).
#
#   reserved-ip-egress.sh [WAIT_SECONDS]   wait up to WAIT_SECONDS for the assignment (default 0)
#
# Until the reserved IP is assigned, traffic keeps the droplet's own route: routing through the
# anchor gateway before then would cut the droplet off. Idempotent; a timer repeats it, so a
# network restart that puts the provider's default route back is mended within a minute.
set -eu

metadata=${METADATA_URL:-http://169.254.169.254/metadata/v1}
wait_seconds=${1:-0}

fetch() {
  curl -fsS --max-time 5 "$metadata/$1"
}

deadline=$(( $(date +%s) + wait_seconds ))
until [ "$(fetch reserved_ip/ipv4/active 2>/dev/null || true)" = "true" ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "reserved-ip-egress: no reserved IP assigned yet; outgoing traffic keeps the droplet's address" >&2
    exit 0
  fi
  sleep 5
done

anchor_address=$(fetch interfaces/public/0/anchor_ipv4/address)
anchor_gateway=$(fetch interfaces/public/0/anchor_ipv4/gateway)
route=$(ip -4 route show default)
device=$(printf '%s\n' "$route" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
if [ -z "$device" ]; then
  echo "reserved-ip-egress: no IPv4 default route to replace" >&2
  exit 1
fi
case "$route" in
  *"via $anchor_gateway dev $device"*"src $anchor_address"*) exit 0 ;;
esac

# The metadata service keeps the path it has now: pinned when that path is the default route.
metadata_gateway=$(ip -4 route get 169.254.169.254 | sed -n 's/.* via \([^ ]*\).*/\1/p' | head -n 1)
if [ -n "$metadata_gateway" ] && [ "$metadata_gateway" != "$anchor_gateway" ]; then
  ip -4 route replace 169.254.169.254/32 via "$metadata_gateway" dev "$device"
fi
ip -4 route replace default via "$anchor_gateway" dev "$device" src "$anchor_address"
echo "reserved-ip-egress: outgoing IPv4 now leaves through the anchor gateway $anchor_gateway from $anchor_address"

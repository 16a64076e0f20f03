#!/bin/sh
# Writes what nats-server needs but may not read where it lives (secrets.env and the TLS key are
# root's alone): credentials.conf with the estate password and the route URL to the peer, and a
# copy of the node key, both 0640 root:nats. The systemd drop-in runs it as root before every start
# (ExecStartPre=+), so a redeployed secret takes effect on the next restart.
set -eu

etc="${DR_ESTATE_ETC:-/etc/dr-estate}"
nats_dir="${NATS_CONF_DIR:-$etc/nats}"
nats_group="${NATS_GROUP:-nats}"
# The peer listens for routes on the same port as this node does.
route_port="${NATS_ROUTE_PORT:-6222}"

# shellcheck source=/dev/null
. "$etc/estate.env"
# shellcheck source=/dev/null
. "$etc/secrets.env"

case "$NODE_ROLE" in
  primary) peer="$STANDBY_IPV4" ;;
  standby) peer="$PRIMARY_IPV4" ;;
  *) echo "nats-credentials: role '$NODE_ROLE' runs no NATS server" >&2; exit 1 ;;
esac

# The password goes into a quoted config string and a URL: refuse anything but letters and digits
# (what Terraform generates) rather than escape it.
case "$NATS_PASSWORD" in
  "" | *[!A-Za-z0-9]*) echo "nats-credentials: NATS_PASSWORD must be letters and digits only" >&2; exit 1 ;;
esac

mkdir -p "$nats_dir"
umask 077

staged="$nats_dir/.credentials.conf.new"
cat > "$staged" <<CONF
# Written by nats-credentials.sh from secrets.env; rewritten at every start of nats-server.
estate_password: "$NATS_PASSWORD"
estate_route: "nats-route://estate-route:$NATS_PASSWORD@$peer:$route_port"
CONF
chown "root:$nats_group" "$staged"
chmod 0640 "$staged"
mv -f "$staged" "$nats_dir/credentials.conf"

staged="$nats_dir/.node.key.new"
cp "$etc/tls/node.key" "$staged"
chown "root:$nats_group" "$staged"
chmod 0640 "$staged"
mv -f "$staged" "$nats_dir/node.key"

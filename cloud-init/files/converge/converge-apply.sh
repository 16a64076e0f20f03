#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# Brings a running node up to date with its rendered configuration (npm run converge sends it here
# over SSH with a bundle made from the node's #cloud-config): installs missing packages, writes the
# files that differ, then reloads only what reads them. Idempotent: a second run changes nothing.
#
#   converge-apply.sh [--dry-run] BUNDLE_DIR
#
# BUNDLE_DIR/manifest   one line per file: MODE OWNER GROUP PATH (the file is BUNDLE_DIR/files/PATH)
# BUNDLE_DIR/packages   the packages the node needs, one per line
#
# Prints `changed PATH`, `action NAME`, and `pending WHAT` for a change that needs a deliberate step
# (a PostgreSQL setting that only a restart applies, the keeper's unit on a running node). Nothing
# here restarts PostgreSQL: certificates and settings reach it by a reload.
set -eu

dry_run=no
if [ "${1:-}" = "--dry-run" ]; then
  dry_run=yes
  shift
fi
bundle=${1:?usage: converge-apply.sh [--dry-run] BUNDLE_DIR}
# Tests point these at a scratch tree; on a node they are the real ones.
root=${CONVERGE_ROOT:-}
etc=${DR_ESTATE_ETC:-/etc/dr-estate}
# The estate's installed scripts, brought up to date by the files step before any action runs.
scripts=${DR_ESTATE_SCRIPTS:-/usr/local/lib/dr-estate}

actions=""
add_action() {
  case " $actions " in
    *" $1 "*) ;;
    *) actions="$actions $1" ;;
  esac
}

# What reads each file, and how it takes a new version without a restart where it can.
actions_for() {
  case "$1" in
    /etc/ssh/sshd_config.d/* | "$etc"/ssh/*) add_action reload-ssh ;;
    /etc/nftables.conf) add_action reload-nftables ;;
    /etc/sysctl.d/*) add_action apply-sysctl ;;
    "$etc"/tls/*) add_action postgres-tls; add_action reload-nats; add_action reload-nginx ;;
    "$etc"/postgresql.conf.d/* | "$etc"/pgautofailover-monitor.conf) add_action reload-postgres ;;
    "$etc"/nats/*) add_action reload-nats ;;
    /etc/systemd/system/nats-server.service.d/*) add_action daemon-reload; add_action restart-nats-server.service ;;
    /etc/nginx/*) add_action reload-nginx ;;
    /etc/prometheus/alertmanager.yml) add_action reload-prometheus-alertmanager ;;
    /etc/prometheus/*) add_action reload-prometheus ;;
    /etc/default/prometheus-*) add_action "restart-$(basename "$1")" ;;
    /etc/default/prometheus) add_action restart-prometheus ;;
    /etc/systemd/system/pgautofailover.service) add_action daemon-reload; pending "pgautofailover.service changed: it restarts PostgreSQL, so restart it after a planned switchover (runbook)" ;;
    /etc/systemd/system/*.service | /etc/systemd/system/*.timer) add_action daemon-reload; add_action "restart-$(basename "$1")" ;;
    /etc/systemd/system/*) add_action daemon-reload ;;
    "$scripts"/healthz-update.sh | "$etc"/estate.env) add_action restart-dr-estate-healthz.service ;;
    "$scripts"/failover-lib.sh) add_action keeper-settings ;;
    "$etc"/secrets.env) add_action reload-nats; pending "secrets.env changed: rotate the PostgreSQL passwords with the runbook" ;;
    *) ;; # read afresh at each use: scripts, cron, pgBackRest, logrotate, authorized keys
  esac
}

pending() {
  echo "pending $1"
}

differs() {
  target=$1 source=$2 mode=$3 owner=$4 group=$5
  [ -f "$target" ] || return 0
  cmp -s "$source" "$target" || return 0
  [ "$(stat -c '%a %U %G' "$target")" = "$(printf '%o' "0$mode") $owner $group" ] || return 0
  return 1
}

missing_packages=""
if [ -f "$bundle/packages" ]; then
  while read -r package; do
    [ -n "$package" ] || continue
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing_packages="$missing_packages $package"
  done < "$bundle/packages"
fi
if [ -n "$missing_packages" ]; then
  echo "install$missing_packages"
  if [ "$dry_run" = no ]; then
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold $missing_packages >/dev/null
  fi
fi

while read -r mode owner group path; do
  case "$path" in
    /*) ;;
    *) echo "converge-apply: manifest path '$path' is not absolute" >&2; exit 1 ;;
  esac
  source="$bundle/files$path"
  target="$root$path"
  if differs "$target" "$source" "$mode" "$owner" "$group"; then
    echo "changed $path"
    actions_for "$path"
    if [ "$dry_run" = no ]; then
      install -D -m "$mode" -o "$owner" -g "$group" "$source" "$target.converge-new"
      mv -f "$target.converge-new" "$target"
    fi
  fi
done < "$bundle/manifest"

unit_exists() {
  case "$1" in
    *.*) unit=$1 ;;
    *) unit=$1.service ;;
  esac
  [ -n "$(systemctl list-unit-files --no-legend "$unit" 2>/dev/null)" ]
}

# Runs one action: reloads where the service can reload, restarts only what holds no state.
run_action() {
  case "$1" in
    daemon-reload) systemctl daemon-reload ;;
    reload-ssh) sshd -t && systemctl reload ssh ;;
    reload-nftables) nft -c -f /etc/nftables.conf && systemctl reload nftables ;;
    apply-sysctl) sysctl -q --system ;;
    postgres-tls | reload-postgres)
      # shellcheck source=../failover/failover-lib.sh
      . "$scripts/failover-lib.sh"
      if [ "$1" = postgres-tls ]; then install_tls; fi
      as_postgres pg_ctl reload -D "$pgaf_pgdata" >/dev/null
      restart_needed=$(as_postgres psql -h /var/run/postgresql -p "$pgaf_port" -d postgres -Atc "select string_agg(name, ', ') from pg_settings where pending_restart" || true)
      if [ -n "$restart_needed" ]; then pending "PostgreSQL settings that only a restart applies: $restart_needed"; fi ;;
    keeper-settings)
      # The keeper's own timeouts live in its configuration, set by node-init.sh at creation.
      # shellcheck source=../failover/failover-lib.sh
      . "$scripts/failover-lib.sh"
      if [ "$NODE_ROLE" != witness ]; then
        as_postgres pg_autoctl config set --pgdata "$pgaf_pgdata" timeout.network_partition_timeout "$keeper_network_partition_timeout" >/dev/null
        as_postgres pg_autoctl reload --pgdata "$pgaf_pgdata"
      fi ;;
    reload-nats)
      if systemctl is-enabled -q nats-server 2>/dev/null; then
        "$scripts/nats-credentials.sh" && systemctl reload nats-server
      fi ;;
    reload-nginx) if systemctl is-enabled -q nginx 2>/dev/null; then nginx -t -q && systemctl reload nginx; fi ;;
    # A file several roles share (estate.env) may name a unit this role does not run.
    reload-*) if unit_exists "${1#reload-}"; then systemctl reload "${1#reload-}"; fi ;;
    restart-*) if unit_exists "${1#restart-}"; then systemctl restart "${1#restart-}"; fi ;;
  esac
}

for action in $actions; do
  echo "action $action"
  if [ "$dry_run" = no ]; then
    run_action "$action"
  fi
done

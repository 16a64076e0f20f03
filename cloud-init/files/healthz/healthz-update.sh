#!/bin/sh
# Keeps the marker nginx answers /healthz from: the marker exists only while the local PostgreSQL is
# the writable primary, and means exactly that. The DNS load balancer monitors /healthz, so traffic
# follows the database and nothing else: a filling disk is the HighDiskUsage alert, not a reason to
# send every client to a read-only replica. Anything unknown (PostgreSQL unreachable, a slow answer)
# removes the marker: the check fails closed.
#
#   healthz-update.sh           one check, then exit
#   healthz-update.sh --loop    a check every HEALTHZ_INTERVAL_SECONDS until stopped; the marker is
#                               removed when the loop ends, so a stopped checker never leaves a 200 behind
#
# Connection: libpq's PGHOST, PGPORT, PGUSER, PGDATABASE (defaults: the local socket, 5432, postgres).
# NODE_FQDN (for the messages) comes from the unit: estate.env is root's alone and this runs as postgres.
set -eu

healthz_dir=${HEALTHZ_DIR:-/run/dr-estate/healthz}
interval=${HEALTHZ_INTERVAL_SECONDS:-5}
query_timeout=${HEALTHZ_QUERY_TIMEOUT_SECONDS:-4}
psql=${HEALTHZ_PSQL:-psql}

export PGHOST="${PGHOST:-/var/run/postgresql}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
export PGDATABASE="${PGDATABASE:-postgres}"
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-3}"
export PGAPPNAME=dr-estate-healthz

marker="$healthz_dir/writable-primary"
reason_file="$healthz_dir/reason"

# Replaces a file in one rename, so nginx never reads half of it. Readable by nginx's workers.
write_file() {
  temporary=$(mktemp "$healthz_dir/.tmp.XXXXXX")
  printf '%s\n' "$2" > "$temporary"
  chmod 0644 "$temporary"
  mv -f "$temporary" "$1"
}

healthy() {
  [ -f "$marker" ] || echo "healthz: now 200: $1" >&2
  write_file "$marker" "ok: $1 (node ${NODE_FQDN:-$(hostname)})"
  rm -f "$reason_file"
}

unhealthy() {
  if [ -f "$marker" ] || [ ! -f "$reason_file" ]; then
    echo "healthz: now 503: $1" >&2
  fi
  rm -f "$marker"
  write_file "$reason_file" "unavailable: $1 (node ${NODE_FQDN:-$(hostname)})"
}

check() {
  # "t|t": not in recovery, and not fenced read-only by default_transaction_read_only.
  if ! answer=$(timeout "$query_timeout" "$psql" -X -A -t -q \
      -c "select not pg_is_in_recovery(), current_setting('default_transaction_read_only') = 'off'" 2>&1); then
    unhealthy "PostgreSQL is not reachable: $(printf '%s' "$answer" | head -n 1)"
    return
  fi
  case $answer in
    "t|t") ;;
    "f|"*)
      unhealthy "PostgreSQL is a standby (in recovery), not the writable primary"
      return
      ;;
    "t|f")
      unhealthy "PostgreSQL is read-only (default_transaction_read_only is on)"
      return
      ;;
    *)
      unhealthy "unexpected answer from PostgreSQL: $answer"
      return
      ;;
  esac
  healthy "writable primary"
}

mkdir -p "$healthz_dir"

if [ "${1:-}" != "--loop" ]; then
  check
  exit 0
fi

# Leave no verdict behind: nginx then answers 503 "not running", as when systemd removes the directory.
trap 'rm -f "$marker" "$reason_file"' EXIT
trap 'exit 0' INT TERM
while :; do
  check
  # In the background, so a stop signal is handled at once rather than after the sleep.
  sleep "$interval" &
  wait $!
done

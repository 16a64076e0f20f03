#!/bin/sh
# Shared by the estate's backup scripts (sourced, not run): settings, logging, Prometheus
# textfile metrics, alert posting and the "only the current primary backs up" check.
#
# Settings come from estate.env (written by the estate-settings piece) and backups.env (written by
# the backups piece). Paths a test or an operator may redirect are plain environment variables
# with the production default.
set -eu

DR_ESTATE_ETC="${DR_ESTATE_ETC:-/etc/dr-estate}"
# shellcheck source=/dev/null
. "$DR_ESTATE_ETC/estate.env"
if [ -f "$DR_ESTATE_ETC/backups.env" ]; then
  # shellcheck source=/dev/null
  . "$DR_ESTATE_ETC/backups.env"
fi

PG_BIN="${PG_BIN:-/usr/lib/postgresql/${PG_MAJOR}/bin}"
PG_OS_USER="${PG_OS_USER:-postgres}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/dr-estate}"
TEXTFILE_DIR="${TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}"
SCRIPT_NAME="${SCRIPT_NAME:-dr-estate-backup}"

# One line per event on stderr (cron appends it to /var/log/dr-estate/backups.log), UTC stamped.
log() {
  printf '%s %s[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SCRIPT_NAME" "$$" "$*" >&2
}

# Runs a PostgreSQL client as the postgres OS user (peer authentication over the local socket).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    "$@"
  fi
}

# Exits 0 with a log line when the local PostgreSQL is in recovery (a standby): only the current
# primary takes backups, whichever node that is after a failover. Exits 1 when it cannot tell.
exit_unless_primary() {
  if ! recovery=$(as_postgres "$PG_BIN/psql" -X -A -t -q -d postgres -c 'SELECT pg_is_in_recovery()'); then
    log "ERROR: cannot reach the local PostgreSQL to tell whether it is the primary"
    exit 1
  fi
  if [ "$recovery" = "t" ]; then
    log "local PostgreSQL is in recovery (standby): skipping $1, only the current primary does it"
    exit 0
  fi
}

# write_metrics NAME TEXT: writes TEXTFILE_DIR/NAME.prom atomically (temp file + rename), so the
# node exporter never reads half a file.
write_metrics() {
  mkdir -p "$TEXTFILE_DIR"
  metrics_tmp="$TEXTFILE_DIR/.$1.prom.$$"
  printf '%s\n' "$2" > "$metrics_tmp"
  chmod 0644 "$metrics_tmp"
  mv -f "$metrics_tmp" "$TEXTFILE_DIR/$1.prom"
}

# post_alert TEXT: posts a JSON alert to ALERT_WEBHOOK_URL; skipped (logged) when the URL is empty.
post_alert() {
  if [ -z "${ALERT_WEBHOOK_URL:-}" ]; then
    log "ALERT_WEBHOOK_URL is empty: not posting the alert"
    return 0
  fi
  # Keep the JSON valid whatever a tool printed: no quotes, backslashes or control characters.
  alert_text=$(printf '%s' "$1" | tr -d '"\134' | tr '\t\r\n' '   ')
  alert_body=$(printf '{"estate":"%s","node":"%s","source":"%s","severity":"critical","text":"%s"}' \
    "${ESTATE_NAME:-}" "${NODE_FQDN:-}" "$SCRIPT_NAME" "$alert_text")
  if curl -fsS -m 15 --retry 2 ${ALERT_WEBHOOK_CA_FILE:+--cacert "$ALERT_WEBHOOK_CA_FILE"} -X POST -H 'Content-Type: application/json' --data "$alert_body" "$ALERT_WEBHOOK_URL" > /dev/null; then
    log "posted the alert to the webhook"
  else
    log "ERROR: could not post the alert to the webhook"
  fi
}

#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# The estate's failover history: every state change pg_auto_failover's monitor records, kept in an
# append-only, hash-chained log on the witness and posted to the alert webhook.
#
#   failover-events.sh record          appends the monitor's new events to the log, then posts
#                                      what the webhook has not received yet (run by a timer)
#   failover-events.sh verify [LOG]    checks every entry's hash and its link to the previous one
#
# One entry per line, tab-separated: eventid, hash of the previous entry (64 zeros for the first),
# this entry's hash, the event as JSON. hash = sha256("eventid<TAB>previous<TAB>json"), so changing,
# removing or reordering any entry breaks the chain from there on. The hashes posted to the webhook
# anchor the chain outside the witness: rewriting the whole tail would not match them.
set -eu
# shellcheck source=failover-lib.sh
. "$(dirname "$0")/failover-lib.sh"

events_dir=${FAILOVER_EVENTS_DIR:-/var/lib/dr-estate/failover-events}
events_log="$events_dir/events.log"
posted_file="$events_dir/posted-eventid"
genesis=0000000000000000000000000000000000000000000000000000000000000000
tab=$(printf '\t')

entry_hash() {
  printf '%s\t%s\t%s' "$1" "$2" "$3" | sha256sum | cut -d ' ' -f 1
}

last_field() {
  if [ -s "$events_log" ]; then tail -n 1 "$events_log" | cut -f "$1"; else echo "$2"; fi
}

# The monitor's events after $1, one "eventid<TAB>json" line each, oldest first.
monitor_events_after() {
  as_postgres psql -X -p "$pgaf_port" -d pg_auto_failover -v ON_ERROR_STOP=1 -AtqF "$tab" -v after="$1" <<'SQL'
SELECT eventid,
       json_build_object('eventid', eventid, 'time', eventtime, 'formation', formationid,
                         'node', nodename, 'nodeid', nodeid, 'group', groupid,
                         'reported', reportedstate, 'goal', goalstate, 'description', description)
  FROM pgautofailover.event
 WHERE eventid > :after
 ORDER BY eventid;
SQL
}

record() {
  install -d -m 0750 "$events_dir"
  if [ ! -e "$events_log" ]; then
    : > "$events_log"
    chmod 0640 "$events_log"
    # Append-only even for root, where the filesystem supports it (ext4, xfs): entries can be added,
    # never rewritten, until an administrator deliberately removes the attribute.
    chattr +a "$events_log" 2>/dev/null || log "note: $events_dir does not support the append-only attribute"
  fi
  previous=$(last_field 3 "$genesis")
  new_events=$(monitor_events_after "$(last_field 1 0)")
  if [ -n "$new_events" ]; then
    printf '%s\n' "$new_events" | while IFS="$tab" read -r eventid event; do
      hash=$(entry_hash "$eventid" "$previous" "$event")
      printf '%s\t%s\t%s\t%s\n' "$eventid" "$previous" "$hash" "$event" >> "$events_log"
      previous=$hash
    done
    log "recorded $(printf '%s\n' "$new_events" | wc -l) event(s)"
  fi
  post_unsent
}

# One message for everything recorded since the last successful post; kept for the next run if the
# webhook cannot be reached.
post_unsent() {
  posted=$(cat "$posted_file" 2>/dev/null || echo 0)
  unsent=$(awk -F '\t' -v posted="$posted" '$1 > posted' "$events_log")
  [ -n "$unsent" ] || return 0
  if [ -z "${ALERT_WEBHOOK_URL:-}" ]; then
    log "ALERT_WEBHOOK_URL is empty: not posting"
    return 0
  fi
  last_eventid=$(printf '%s\n' "$unsent" | tail -n 1 | cut -f 1)
  head_hash=$(printf '%s\n' "$unsent" | tail -n 1 | cut -f 3)
  events_json=$(printf '%s\n' "$unsent" | cut -f 4 | paste -s -d ',' -)
  body=$(printf '{"estate":"%s","node":"%s","source":"failover-events","severity":"warning","text":"%s","chain_head":"%s","events":[%s]}' \
    "${ESTATE_NAME:-}" "${NODE_FQDN:-}" "pg_auto_failover state changes up to event $last_eventid" "$head_hash" "$events_json")
  if curl -fsS -m 15 --retry 2 ${ALERT_WEBHOOK_CA_FILE:+--cacert "$ALERT_WEBHOOK_CA_FILE"} -X POST -H 'Content-Type: application/json' --data "$body" "$ALERT_WEBHOOK_URL" > /dev/null; then
    echo "$last_eventid" > "$posted_file"
    log "posted events up to $last_eventid to the webhook"
  else
    log "ERROR: could not post to the webhook; will retry on the next run"
    return 1
  fi
}

verify() {
  file=${1:-$events_log}
  previous=$genesis
  line_number=0
  while IFS="$tab" read -r eventid linked hash event; do
    line_number=$((line_number + 1))
    if [ "$linked" != "$previous" ]; then
      echo "$file: chain broken at line $line_number (event $eventid): it does not follow the entry before it" >&2
      return 1
    fi
    if [ "$hash" != "$(entry_hash "$eventid" "$linked" "$event")" ]; then
      echo "$file: entry at line $line_number (event $eventid) was altered: its hash does not match" >&2
      return 1
    fi
    previous=$hash
  done < "$file"
  echo "$file: chain intact, $line_number entries, head $previous"
}

case ${1:-} in
  record) record ;;
  verify) verify "${2:-}" ;;
  *)
    echo "usage: $(basename "$0") record | verify [LOG]" >&2
    exit 2
    ;;
esac

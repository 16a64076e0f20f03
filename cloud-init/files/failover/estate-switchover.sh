#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# The operator's planned switchover, run on the witness as root (/usr/local/sbin/estate-switchover):
# the standby becomes the primary, the old primary follows it, and no acknowledged write is lost.
#
# With asynchronous replication pg_auto_failover's switchover alone can lose the last writes: the
# monitor lets the standby stop replicating while the old primary, only draining, still commits (the
# drill lost 1-2 writes in 5 of 20 bare switchovers). So for the switch the standby joins the write
# quorum, the primary then acknowledges a commit only once the standby has it, and the asynchronous
# setting is restored afterwards, also when the switch fails. With postgres.synchronousReplication
# the standby is in the quorum already and is left so.
#
#   estate-switchover              refuses unless one primary and one secondary are settled and healthy
# SWITCHOVER_TIMEOUT (60) bounds each wait, in seconds.
set -eu
# shellcheck source=failover-lib.sh
. "$(dirname "$0")/failover-lib.sh"

timeout=${SWITCHOVER_TIMEOUT:-60}

monitor() {
  as_postgres psql -X -p "$pgaf_port" -d pg_auto_failover -v ON_ERROR_STOP=1 -Atq -c "$1"
}

# The name of the one node the monitor has settled and healthy in STATE, or nothing.
settled() {
  monitor "SELECT nodename FROM pgautofailover.node
            WHERE reportedstate = '$1' AND goalstate = '$1' AND health = 1
              AND (SELECT count(*) FROM pgautofailover.node) = 2"
}

formation() {
  monitor "SELECT nodename || ': ' || reportedstate || ' -> ' || goalstate || ', health ' || health
                  || ', ' || reportedrepstate FROM pgautofailover.node ORDER BY nodeid" | sed 's/^/  /' >&2
}

# wait_for WHAT SQL: polls SQL until it answers t, or fails naming WHAT.
wait_for() {
  deadline=$(($(date +%s) + timeout))
  until [ "$(monitor "$2")" = t ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "gave up after ${timeout} s waiting for $1; the formation is:"
      formation
      return 1
    fi
    sleep 0.1
  done
}

set_quorum() {
  monitor "SELECT pgautofailover.set_node_replication_quorum('default', '$1', $2)" > /dev/null
}

started=$(date +%s.%N)
primary=$(settled primary)
standby=$(settled secondary)
if [ -z "$primary" ] || [ -z "$standby" ]; then
  log "refused: a switchover needs one settled, healthy primary and secondary; the formation is:"
  formation
  exit 1
fi

if [ "$PG_SYNCHRONOUS_REPLICATION" != true ]; then
  restore_async() {
    set_quorum "$standby" false || log "could not restore the asynchronous setting of $standby: run this again or set it by hand"
  }
  trap restore_async EXIT
  set_quorum "$standby" true
  # The primary's keeper reports how its standby replicates (pg_stat_replication.sync_state).
  wait_for "$primary to replicate synchronously to $standby" \
    "SELECT reportedstate = 'primary' AND goalstate = 'primary' AND reportedrepstate IN ('sync', 'quorum')
       FROM pgautofailover.node WHERE nodename = '$primary'"
fi

log "switching over: $standby becomes the primary, $primary follows it"
monitor "SELECT pgautofailover.perform_failover('default', 0)" > /dev/null
wait_for "$standby to take writes" \
  "SELECT reportedstate IN ('wait_primary', 'primary') FROM pgautofailover.node WHERE nodename = '$standby'"
log "$standby takes writes, $(awk -v since="$started" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - since }') s after the start"
wait_for "$primary to follow $standby as its secondary" \
  "SELECT reportedstate = 'secondary' AND goalstate = 'secondary' FROM pgautofailover.node WHERE nodename = '$primary'"
log "done: $standby is the primary, $primary its secondary"

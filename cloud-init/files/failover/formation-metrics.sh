#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# Publishes the failover formation as the witness's monitor sees it, for the
# FormationWithoutHealthySecondary and FailoverHappened alerts: two gauges in the node exporter's
# textfile directory.
#
#   dr_estate_formation_healthy_secondaries 1
#   dr_estate_formation_last_promotion_timestamp_seconds 1830000000    (0: never)
#
# When the monitor cannot be asked, the file is removed rather than left with the last answer: the
# alert then reads the formation as having no healthy secondary. Always exits 0, so the failover
# event recorder that runs after it in the same unit still runs.
set -eu
# shellcheck source=failover-lib.sh
. "$(dirname "$0")/failover-lib.sh"

textfile_dir=${TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}
published="$textfile_dir/formation.prom"

# A promotion is the monitor assigning prepare_promotion: failover and switchover alike.
if ! answer=$(as_postgres psql -X -p "$pgaf_port" -d pg_auto_failover -v ON_ERROR_STOP=1 -Atq -F ' ' -c "
    SELECT (SELECT count(*) FROM pgautofailover.node
             WHERE reportedstate = 'secondary' AND goalstate = 'secondary' AND health = 1),
           (SELECT coalesce(extract(epoch FROM max(eventtime))::bigint, 0) FROM pgautofailover.event
             WHERE goalstate = 'prepare_promotion')" 2>&1); then
  rm -f "$published"
  log "cannot read the monitor, formation metrics withdrawn: $(printf '%s' "$answer" | head -n 1)"
  exit 0
fi
read -r secondaries promoted <<EOT
$answer
EOT

staged="$textfile_dir/.formation.prom.$$"
cat > "$staged" <<EOT
# HELP dr_estate_formation_healthy_secondaries Nodes the monitor finds healthy and settled as secondary.
# TYPE dr_estate_formation_healthy_secondaries gauge
dr_estate_formation_healthy_secondaries $secondaries
# HELP dr_estate_formation_last_promotion_timestamp_seconds When the monitor last promoted a node (Unix time; 0 when never).
# TYPE dr_estate_formation_last_promotion_timestamp_seconds gauge
dr_estate_formation_last_promotion_timestamp_seconds $promoted
EOT
chmod 0644 "$staged"
mv -f "$staged" "$published"

#!/bin/sh
# Point-in-time recovery on demand, into an isolated copy: its own data directory, a Unix socket on
# its own port, no TCP, archiving off; the live cluster is never touched, nothing is replicated or
# archived. Installed as /usr/local/sbin/estate-pitr on the data nodes (README, "Ransomware").
#
#   estate-pitr restore (--time 'YYYY-MM-DD HH:MM:SS+00' | --before-xid XID) [--repo N] [--set LABEL] [--tables 'schema.table ...']
#       restores the stanza as it was at that time (or just before that transaction committed), stops
#       replay there (paused, read-only) and reports the backup set, the WAL position and time
#       reached and the row count of each named table (default: BACKUP_VERIFY_TABLES).
#   estate-pitr promote   ends recovery on the copy: a new timeline, writable, still isolated.
#   estate-pitr discard   stops the copy and removes it.
# PITR_DIR (/var/lib/dr-estate-pitr) and PITR_PORT (5440) place the copy.
set -eu

SCRIPT_NAME=estate-pitr

usage() {
  cat << 'EOF'
estate-pitr restore (--time 'YYYY-MM-DD HH:MM:SS+00' | --before-xid XID) [--repo 1|2] [--set LABEL] [--tables 'schema.table ...']
    Restores the cluster as it was at that time, or just before that transaction, into an isolated
    copy (PITR_DIR, default /var/lib/dr-estate-pitr; socket only, port PITR_PORT, default 5440),
    pauses there and reports the backup set, the WAL reached and the rows of each table.
estate-pitr promote    Ends recovery on the copy: writable, on a new timeline, still isolated.
estate-pitr discard    Stops the copy and removes it.
EOF
  exit "$1"
}
case "${1:-}" in
  -h | --help) usage 0 ;;
esac

# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname "$(readlink -f "$0")")/backup-lib.sh"

PITR_DIR="${PITR_DIR:-/var/lib/dr-estate-pitr}"
PITR_PORT="${PITR_PORT:-5440}"
data="$PITR_DIR/data"
socket="$PITR_DIR/socket"
report="$PITR_DIR/report.txt"

die() {
  log "ERROR: $*"
  exit 1
}

# The copy is removed with rm -rf: a path of its own, two levels deep, never around the live cluster.
case "$PITR_DIR" in
  /?*/?*) ;;
  *) die "PITR_DIR must be an absolute path two levels deep, not '$PITR_DIR'" ;;
esac
case "${PGDATA:-}/" in
  "$PITR_DIR"/*) die "PITR_DIR $PITR_DIR holds the live cluster $PGDATA" ;;
esac
case "$PITR_PORT" in
  '' | *[!0-9]*) die "PITR_PORT must be a port number, not '$PITR_PORT'" ;;
esac

copy_psql() {
  as_postgres "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$socket" -p "$PITR_PORT" -d "$PG_DATABASE" -c "$1"
}

copy_running() {
  [ -f "$data/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$data" status > /dev/null 2>&1
}

stop_copy() {
  if copy_running; then
    as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop > /dev/null
  fi
}

restore() {
  target_type=""
  target=""
  repo=1
  set_label=""
  tables="${BACKUP_VERIFY_TABLES:-}"
  while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "$1 needs a value"
    case "$1" in
      --time) target_type=time target="$2" ;;
      --before-xid) target_type=xid target="$2" ;;
      --repo) repo="$2" ;;
      --set) set_label="$2" ;;
      --tables) tables="$2" ;;
      *) die "unknown option $1 (estate-pitr --help)" ;;
    esac
    shift 2
  done
  [ -n "$target_type" ] || die "restore needs --time or --before-xid"
  case "$target_type:$target" in
    xid:*[!0-9]* | xid:) die "--before-xid must be a transaction id (digits), not '$target'" ;;
  esac
  case "$repo" in
    1 | 2) ;;
    *) die "--repo must be 1 (this node's disk) or 2 (off-site), not '$repo'" ;;
  esac
  tables=$(printf '%s' "$tables" | tr ',' ' ')
  for table in $tables; do
    printf '%s\n' "$table" | grep -Eq '^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$' ||
      die "--tables: '$table' is not a [schema.]table name"
  done
  if [ -e "$data" ]; then
    die "a restored copy is already at $data: promote it, or remove it with: estate-pitr discard"
  fi

  install -d -m 0700 -o "$PG_OS_USER" -g "$PG_OS_USER" "$PITR_DIR" "$data" "$socket"
  set -- --stanza="$ESTATE_NAME" --repo="$repo" --pg1-path="$data" --archive-mode=off --target-action=pause --type="$target_type" --target="$target"
  if [ "$target_type" = xid ]; then
    set -- "$@" --target-exclusive
  fi
  if [ -n "$set_label" ]; then
    set -- "$@" --set="$set_label"
  fi
  log "pgbackrest $* restore"
  if ! as_postgres pgbackrest "$@" restore > "$PITR_DIR/restore.log" 2>&1; then
    tail -n 5 "$PITR_DIR/restore.log" >&2
    rm -rf "$data"
    die "pgbackrest restore failed (whole output in $PITR_DIR/restore.log)"
  fi
  backup_set=$(sed -n 's/.*restore backup set \([0-9A-Z_-]*\).*/\1/p' "$PITR_DIR/restore.log" | tail -n 1)

  # Settings the copy of the live configuration would carry over, turned off for an isolated copy.
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$PITR_DIR/postgresql.log" -w -t 600 -o "-p $PITR_PORT -k $socket -c listen_addresses='' -c hot_standby=on -c archive_mode=off -c primary_conninfo='' -c primary_slot_name='' -c synchronous_standby_names='' -c cluster_name=estate-pitr" start > /dev/null ||
    die "the restored copy did not start: $(tail -n 5 "$PITR_DIR/postgresql.log")"

  # Replay pauses at the target; PostgreSQL stops instead when the WAL ends before it.
  state=""
  waited=0
  while [ "$state" != paused ]; do
    copy_running || die "recovery stopped before reaching the target: $(tail -n 5 "$PITR_DIR/postgresql.log")"
    [ "$waited" -lt 3600 ] || die "replay did not reach the target within an hour"
    sleep 1
    waited=$((waited + 1))
    state=$(copy_psql "SELECT pg_get_wal_replay_pause_state()" 2> /dev/null || true)
  done

  {
    printf 'restored copy: %s (socket %s, port %s), paused at the target, read-only\n' "$data" "$socket" "$PITR_PORT"
    printf 'target: %s %s\n' "$target_type" "$target"
    printf 'backup set: %s (repo%s)\n' "${backup_set:-unknown}" "$repo"
    printf 'WAL replayed to: %s\n' "$(copy_psql "SELECT pg_last_wal_replay_lsn()")"
    printf 'last transaction replayed: %s\n' "$(copy_psql "SELECT coalesce(pg_last_xact_replay_timestamp()::text, 'none')")"
    for table in $tables; do
      printf 'rows in %s: %s\n' "$table" "$(copy_psql "SELECT count(*) FROM $table")"
    done
    printf 'next: inspect it with psql -h %s -p %s -d %s; then estate-pitr promote, or estate-pitr discard\n' "$socket" "$PITR_PORT" "$PG_DATABASE"
  } > "$report"
  chmod 0600 "$report"
  cat "$report"
}

promote() {
  [ $# -eq 0 ] || die "promote takes no arguments"
  copy_running || die "no restored copy is running at $data (estate-pitr restore first)"
  [ "$(copy_psql "SELECT pg_is_in_recovery()")" = t ] || die "the copy at $data is promoted already"
  copy_psql "SELECT pg_promote(true, 300)" > /dev/null
  [ "$(copy_psql "SELECT pg_is_in_recovery()")" = f ] || die "the copy did not leave recovery"
  printf 'promoted: %s is writable on timeline %s (socket %s, port %s), still isolated\n' \
    "$data" "$(copy_psql "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int")" "$socket" "$PITR_PORT" | tee -a "$report"
}

discard() {
  [ $# -eq 0 ] || die "discard takes no arguments"
  stop_copy
  rm -rf "$PITR_DIR"
  log "removed $PITR_DIR"
}

command="${1:-}"
[ $# -eq 0 ] || shift
case "$command" in
  restore) restore "$@" ;;
  promote) promote "$@" ;;
  discard) discard "$@" ;;
  *) usage 2 >&2 ;;
esac

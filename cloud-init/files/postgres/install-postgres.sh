#!/bin/sh
# Installs the PostgreSQL major version the estate asks for, with pg_auto_failover: from the
# operating system's own packages when it ships that version (PG_SOURCE=distribution), otherwise
# from the PostgreSQL project's repository (PGDG), so every node runs the same major version.
set -eu

# shellcheck source=/dev/null
. "${DR_ESTATE_ETC:-/etc/dr-estate}/estate.env"

export DEBIAN_FRONTEND=noninteractive
apt-get install -y postgresql-common
# No default cluster: pg_auto_failover creates and owns the data directory, so nothing but its
# keeper ever starts PostgreSQL (an old primary must not come back writable on its own at boot).
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/10-dr-estate.conf
case "$PG_SOURCE" in
  distribution) ;;
  pgdg)
    apt-get install -y gnupg
    # The repository helper ships with postgresql-common; -y accepts its prompt.
    /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y ;;
  *) echo "install-postgres: PG_SOURCE must be distribution or pgdg, not '$PG_SOURCE'" >&2; exit 1 ;;
esac
apt-get install -y "postgresql-${PG_MAJOR}" "postgresql-${PG_MAJOR}-auto-failover" pg-auto-failover-cli

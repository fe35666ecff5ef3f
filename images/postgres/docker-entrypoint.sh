#!/usr/bin/env bash
# Entrypoint for the local PostgreSQL image. Contract (same names and behaviour as the official image):
#   POSTGRES_PASSWORD          superuser password; required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER              superuser name (default postgres)
#   POSTGRES_DB                database created at init (default: POSTGRES_USER)
#   POSTGRES_INITDB_ARGS       extra initdb arguments
#   POSTGRES_HOST_AUTH_METHOD  pg_hba method for TCP clients (default scram-sha-256)
#   PGDATA                     data directory (default /var/lib/postgresql/data)
#   /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz run once, on an empty data directory, against
#   a temporary server that listens on the unix socket only.
# Extra arguments go to postgres (`-c key=value`).
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$1" != 'postgres' ]; then
  exec "$@"
fi

if [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  # Drop to the postgres user and run this script again; setpriv (util-linux) execs in place, so
  # postgres ends up as PID 1 and receives the container's stop signal itself.
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ -s "$PGDATA/PG_VERSION" ]; then
  data_major=$(cat "$PGDATA/PG_VERSION")
  if [ "$data_major" != "$PG_MAJOR" ]; then
    die "the data directory $PGDATA holds PostgreSQL $data_major files but this image runs PostgreSQL $PG_MAJOR;" \
      "upgrade them with pg_upgrade (or dump and restore) or use a PostgreSQL $data_major image. Nothing was changed."
  fi
  log "PostgreSQL $PG_MAJOR data directory found in $PGDATA: skipping initialization"
else
  POSTGRES_USER=${POSTGRES_USER:-postgres}
  POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
  auth_method=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth_method" != 'trust' ]; then
    cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.
MSG
    exit 1
  fi
  if [ -n "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
    die "$PGDATA is not empty but holds no PostgreSQL cluster (no PG_VERSION); refusing to initialize over it." \
      "Mount an empty volume at $PGDATA, or point PGDATA at a subdirectory."
  fi

  log "initializing PostgreSQL $PG_MAJOR in $PGDATA"
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments by contract
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host="$auth_method" \
    ${POSTGRES_INITDB_ARGS:-} >&2
  rm -f "$pwfile"
  trap - EXIT

  printf '\n# container: accept TCP clients on every interface (access is limited by the published port)\n' >>"$PGDATA/postgresql.conf"
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\n# container: TCP clients from any address, authenticated\nhost all all all %s\n' "$auth_method" >>"$PGDATA/pg_hba.conf"

  # Temporary server on the unix socket only, so nothing outside sees a half-initialized database.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >&2
  psql_base=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --no-password)

  if [ "$POSTGRES_DB" != 'postgres' ]; then
    exists=$("${psql_base[@]}" --dbname postgres -tA -v db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")
    if [ -z "$exists" ]; then
      "${psql_base[@]}" --dbname postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"' >&2
    fi
  fi

  export PGUSER="$POSTGRES_USER" PGDATABASE="$POSTGRES_DB"
  shopt -s nullglob
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; # shellcheck disable=SC1090
          . "$f"; fi ;;
      *.sql) log "running $f"; "${psql_base[@]}" --dbname "$POSTGRES_DB" -f "$f" >&2 ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql_base[@]}" --dbname "$POSTGRES_DB" >&2 ;;
      *) log "ignoring $f" ;;
    esac
  done
  shopt -u nullglob
  unset PGUSER PGDATABASE

  pg_ctl -D "$PGDATA" -m fast -w stop >&2
  log "PostgreSQL init process complete; ready for start up"
fi

unset POSTGRES_PASSWORD
exec "$@"

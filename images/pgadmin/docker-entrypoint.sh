#!/usr/bin/env bash
# Entrypoint for the local pgAdmin 4 image (contract: see the Dockerfile's header).
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

DATA_DIR=/var/lib/pgadmin
PGADMIN_DIR="$(/venv/bin/python3 -I -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/pgadmin4"
: "${PGADMIN_LISTEN_PORT:=80}"
: "${PGADMIN_SERVER_JSON_FILE:=/pgadmin4/servers.json}"
: "${PGADMIN_REPLACE_SERVERS_ON_STARTUP:=False}"
: "${GUNICORN_THREADS:=25}"
if [ -z "${PGADMIN_LISTEN_ADDRESS:-}" ]; then
  # The official image listens on [::]; fall back to IPv4 where the container has no IPv6.
  if [ -s /proc/net/if_inet6 ]; then PGADMIN_LISTEN_ADDRESS='[::]'; else PGADMIN_LISTEN_ADDRESS=0.0.0.0; fi
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DATA_DIR"
  chown pgadmin:pgadmin "$DATA_DIR"
  chmod 700 "$DATA_DIR"
  exec setpriv --reuid=pgadmin --regid=pgadmin --init-groups "${BASH_SOURCE[0]}" "$@"
fi

# Settings for pgAdmin's config.py: server mode, data under $DATA_DIR, no update checks (no internet),
# and any PGADMIN_CONFIG_<KEY>=<python literal> from the environment, as the official image does.
# pgAdmin loads this file through CONFIG_DISTRO_FILE_PATH; it is rewritten on every start.
config_dir=$(mktemp -d /tmp/pgadmin-config.XXXXXX)
export CONFIG_DISTRO_FILE_PATH="$config_dir/config_distro.py"
{
  echo "SERVER_MODE = True"
  echo "DATA_DIR = '$DATA_DIR'"
  echo "SQLITE_PATH = '$DATA_DIR/pgadmin4.db'"
  echo "SESSION_DB_PATH = '$DATA_DIR/sessions'"
  echo "STORAGE_DIR = '$DATA_DIR/storage'"
  echo "AZURE_CREDENTIAL_CACHE_DIR = '$DATA_DIR/azurecredentialcache'"
  echo "KERBEROS_CCACHE_DIR = '$DATA_DIR/krbccache'"
  echo "LOG_FILE = '/dev/null'"
  echo "UPGRADE_CHECK_ENABLED = False"
  echo "DEFAULT_BINARY_PATHS = {'pg': '/usr/lib/postgresql/15/bin', 'pg-15': '/usr/lib/postgresql/15/bin'}"
  while IFS='=' read -r name value; do
    case "$name" in PGADMIN_CONFIG_*) echo "${name#PGADMIN_CONFIG_} = ${value}" ;; esac
  done < <(env)
} >"$CONFIG_DISTRO_FILE_PATH"

run_setup() { (cd "$PGADMIN_DIR" && python3 setup.py "$@"); }

first_start=false
if [ ! -f "$DATA_DIR/pgadmin4.db" ]; then
  first_start=true
  [ -n "${PGADMIN_DEFAULT_EMAIL:-}" ] && [ -n "${PGADMIN_DEFAULT_PASSWORD:-}" ] \
    || die "You need to define the PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD environment variables."
  [[ "$PGADMIN_DEFAULT_EMAIL" == *@*.* || "$PGADMIN_DEFAULT_EMAIL" == *@localhost ]] \
    || die "PGADMIN_DEFAULT_EMAIL must be an e-mail address, got '$PGADMIN_DEFAULT_EMAIL'."
  log "first start: creating the configuration database for $PGADMIN_DEFAULT_EMAIL"
  PGADMIN_SETUP_EMAIL="$PGADMIN_DEFAULT_EMAIL" PGADMIN_SETUP_PASSWORD="$PGADMIN_DEFAULT_PASSWORD" \
    run_setup setup-db >/dev/null
fi

# servers.json is read on first start only, unless PGADMIN_REPLACE_SERVERS_ON_STARTUP asks for a
# re-import on every start (which replaces, never duplicates, the user's servers).
replace=false
case "${PGADMIN_REPLACE_SERVERS_ON_STARTUP,,}" in true|1|yes) replace=true ;; esac
if [ -f "$PGADMIN_SERVER_JSON_FILE" ] && { $first_start || $replace; }; then
  [ -n "${PGADMIN_DEFAULT_EMAIL:-}" ] || die "PGADMIN_DEFAULT_EMAIL is needed to load $PGADMIN_SERVER_JSON_FILE"
  args=(load-servers "$PGADMIN_SERVER_JSON_FILE" --user "$PGADMIN_DEFAULT_EMAIL")
  $replace && args+=(--replace)
  log "loading servers from $PGADMIN_SERVER_JSON_FILE"
  run_setup "${args[@]}" >&2
fi
unset PGADMIN_DEFAULT_PASSWORD

log "serving pgAdmin ${PGADMIN_VERSION:-} on ${PGADMIN_LISTEN_ADDRESS}:${PGADMIN_LISTEN_PORT}"
cd "$PGADMIN_DIR"
exec gunicorn --bind "${PGADMIN_LISTEN_ADDRESS}:${PGADMIN_LISTEN_PORT}" --workers 1 --threads "$GUNICORN_THREADS" \
  --timeout 86400 --access-logfile - --chdir "$PGADMIN_DIR" -c /dev/null \
  pgAdmin4:app

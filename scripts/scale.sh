#!/usr/bin/env bash
# CareSlot scaled out on this machine (docs/scaling.md): a PostgreSQL 15 streaming replica of
# the primary at 127.0.0.1:5432 (pg_basebackup -R: standby.signal and primary_conninfo),
# PgBouncer in transaction mode in front of the primary, two gunicorn API instances sharing
# Redis, two task workers, on a database of their own (careslot_scale, migrated on the primary).
#
#   scripts/scale.sh up            everything (make scale-up)
#   scripts/scale.sh replica-up    the replica alone (make replica-test, the bench)
#   scripts/scale.sh db-up         the replica and PgBouncer (the bench)
#   scripts/scale.sh status        what runs where
#   scripts/scale.sh down          stop everything, remove the replica cluster and the database
#                                  (make scale-down; SCALE_KEEP_DATABASE=1 keeps careslot_scale)
#
# Idempotent: what already runs is left running. Everything lives under $SCALE_DIR (var/scale).
# PostgreSQL and PgBouncer refuse to run as root: they run as the `postgres` OS user. Exit 3
# means the PostgreSQL server binaries are missing (the reason is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SCALE_DIR=${SCALE_DIR:-$ROOT/var/scale}
PRIMARY_HOST=${SCALE_PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${SCALE_PRIMARY_PORT:-5432}
REPLICA_PORT=${SCALE_REPLICA_PORT:-5433}
PGBOUNCER_PORT=${SCALE_PGBOUNCER_PORT:-6432}
PGBOUNCER_POOL_SIZE=${SCALE_PGBOUNCER_POOL_SIZE:-10}
API_PORTS=${SCALE_API_PORTS:-"8101 8102"}
API_WORKERS=${SCALE_API_WORKERS:-2}
TASK_WORKERS=${SCALE_TASK_WORKERS:-2}
DATABASE=${SCALE_DATABASE:-careslot_scale}
CACHE_URL=${SCALE_CACHE_URL:-redis://127.0.0.1:6379/7}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=postgres
# The replica's and PgBouncer's files belong to the postgres OS user, who must be able to reach
# them: under $SCALE_DIR when every directory above it lets others through, else in /tmp (a
# clone under a private home directory), named after $SCALE_DIR so that `down` finds it.
pg_files_dir() {
  local dir=$SCALE_DIR
  while [ "$dir" != / ]; do
    if [ -d "$dir" ] && ! runuser -u "$PG_USER" -- test -x "$dir" 2>/dev/null; then
      echo "/tmp/careslot-scale-$(printf '%s' "$SCALE_DIR" | cksum | cut -d' ' -f1)"
      return
    fi
    dir=$(dirname "$dir")
  done
  echo "$SCALE_DIR"
}
PG_FILES=$(pg_files_dir)
REPLICA_DIR=$PG_FILES/replica
REPLICA_LOG=$PG_FILES/replica.log
BOUNCER_DIR=$PG_FILES/pgbouncer
RUN_DIR=$SCALE_DIR/run
PRIMARY="host=$PRIMARY_HOST port=$PRIMARY_PORT user=postgres"
REPLICA="host=127.0.0.1 port=$REPLICA_PORT user=postgres"
PY=$ROOT/.venv/bin/python
case "$SCALE_DIR" in /|"$ROOT"|"") echo "SCALE_DIR=$SCALE_DIR: choose a directory of its own" >&2; exit 2 ;; esac

say() { printf '[scale] %s\n' "$*"; }
as_pg() { runuser -u "$PG_USER" -- "$@"; }
primary_sql() { psql -X -Atq "$PRIMARY dbname=postgres" -c "$1"; }
replica_sql() { psql -X -Atq "$REPLICA dbname=postgres" -c "$1"; }

require_server_binaries() {
  local missing=()
  for bin in postgres pg_ctl pg_basebackup; do
    [ -x "$PG_BIN/$bin" ] || missing+=("$PG_BIN/$bin")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "PostgreSQL server binaries missing (${missing[*]}): no replica on this machine." >&2
    exit 3
  fi
  id "$PG_USER" >/dev/null 2>&1 || { echo "no '$PG_USER' OS user to run PostgreSQL as" >&2; exit 3; }
}

# pg_basebackup and the replica's walreceiver open replication connections, which a pg_hba
# line for "all" databases does not cover. Debian's default allows them only over the local
# socket: add the loopback line (trust, like the existing loopback line) and reload. Never a
# restart: the primary is shared.
allow_replication() {
  if psql -X -Atq "$PRIMARY replication=true dbname=replication" -c "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
    return
  fi
  local hba
  hba=$(primary_sql "SHOW hba_file")
  [ -w "$hba" ] || { echo "the primary refuses replication from $PRIMARY_HOST and $hba is not writable" >&2; exit 1; }
  say "allowing replication connections from 127.0.0.1 in $hba (reload, no restart)"
  printf 'host replication all 127.0.0.1/32 trust  # careslot scripts/scale.sh\n' >>"$hba"
  primary_sql "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  psql -X -Atq "$PRIMARY replication=true dbname=replication" -c "IDENTIFY_SYSTEM" >/dev/null
}

replica_running() { [ -f "$REPLICA_DIR/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" status >/dev/null 2>&1; }

replica_up() {
  require_server_binaries
  mkdir -p "$SCALE_DIR" "$PG_FILES"
  if replica_running; then
    say "replica already running on 127.0.0.1:$REPLICA_PORT"
    return
  fi
  if [ ! -f "$REPLICA_DIR/PG_VERSION" ]; then
    allow_replication
    rm -rf "$REPLICA_DIR"
    install -d -o "$PG_USER" -m 700 "$REPLICA_DIR"
    say "pg_basebackup of $PRIMARY_HOST:$PRIMARY_PORT into $REPLICA_DIR"
    # -R writes standby.signal and primary_conninfo; -X stream copies the WAL of the backup.
    as_pg "$PG_BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres \
      -D "$REPLICA_DIR" -R -X stream -c fast
    # A hot standby needs these at least as large as the primary's.
    local limits
    limits=$(primary_sql "SELECT string_agg(name || ' = ' || setting, E'\n') FROM pg_settings
      WHERE name IN ('max_connections', 'max_prepared_transactions', 'max_locks_per_transaction',
                     'max_wal_senders', 'max_worker_processes')")
    # Debian keeps postgresql.conf and pg_hba.conf outside the data directory: write ours.
    cat >"$REPLICA_DIR/postgresql.conf" <<CONF
# CareSlot's local streaming replica (scripts/scale.sh)
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = ''  # TCP only: a socket path may be too long
hot_standby = on
# Long reports on the replica hold back the primary's vacuum a little rather than being
# cancelled by replay (docs/scaling.md).
hot_standby_feedback = on
shared_buffers = 64MB
logging_collector = off
$limits
CONF
    cat >"$REPLICA_DIR/pg_hba.conf" <<CONF
local all all trust
host all all 127.0.0.1/32 trust
CONF
    : >"$REPLICA_DIR/pg_ident.conf"
    chown "$PG_USER" "$REPLICA_DIR"/*.conf
  fi
  say "starting the replica on 127.0.0.1:$REPLICA_PORT"
  touch "$REPLICA_LOG" && chown "$PG_USER" "$REPLICA_LOG"
  as_pg "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_LOG" -w -t 120 start >/dev/null
  for _ in $(seq 60); do
    [ "$(replica_sql "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ] && break
    sleep 1
  done
  [ "$(replica_sql "SELECT pg_is_in_recovery()")" = t ] || { echo "the replica is not in recovery" >&2; exit 1; }
  say "replica streaming: $(replica_sql "SELECT status || ' from ' || sender_host || ':' || sender_port FROM pg_stat_wal_receiver")"
}

database_up() {
  if [ -z "$(primary_sql "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]; then
    say "creating database $DATABASE on the primary"
    primary_sql "CREATE DATABASE \"$DATABASE\""
  fi
  say "migrating $DATABASE on the primary (never through PgBouncer, never on the replica)"
  DATABASE_URL="postgres://postgres@$PRIMARY_HOST:$PRIMARY_PORT/$DATABASE" \
    "$PY" backend/manage.py migrate --noinput -v0
}

pgbouncer_up() {
  if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    say "installing Debian's pgbouncer"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null
  fi
  local bin
  bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  if [ -f "$BOUNCER_DIR/pgbouncer.pid" ] && kill -0 "$(cat "$BOUNCER_DIR/pgbouncer.pid")" 2>/dev/null; then
    say "pgbouncer already running on 127.0.0.1:$PGBOUNCER_PORT"
    return
  fi
  mkdir -p "$PG_FILES"
  install -d -o "$PG_USER" -m 700 "$BOUNCER_DIR"
  cat >"$BOUNCER_DIR/pgbouncer.ini" <<INI
; CareSlot's PgBouncer (scripts/scale.sh): transaction pooling in front of the primary.
[databases]
* = host=$PRIMARY_HOST port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $BOUNCER_DIR/userlist.txt
admin_users = postgres
pool_mode = transaction
; server connections per (database, user): what PostgreSQL holds, however many clients.
default_pool_size = $PGBOUNCER_POOL_SIZE
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
logfile = $BOUNCER_DIR/pgbouncer.log
pidfile = $BOUNCER_DIR/pgbouncer.pid
INI
  printf '"postgres" ""\n' >"$BOUNCER_DIR/userlist.txt"
  chown "$PG_USER" "$BOUNCER_DIR"/*
  say "starting pgbouncer on 127.0.0.1:$PGBOUNCER_PORT (transaction mode, pool $PGBOUNCER_POOL_SIZE)"
  as_pg "$bin" -d "$BOUNCER_DIR/pgbouncer.ini"
  for _ in $(seq 30); do
    psql -X -Atq "host=127.0.0.1 port=$PGBOUNCER_PORT user=postgres dbname=postgres" -c "SELECT 1" >/dev/null 2>&1 && return
    sleep 0.5
  done
  echo "pgbouncer did not answer: see $BOUNCER_DIR/pgbouncer.log" >&2
  exit 1
}

app_env() {
  local secret
  [ -f "$SCALE_DIR/secret_key" ] || (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$SCALE_DIR/secret_key")
  secret=$(cat "$SCALE_DIR/secret_key")
  cat <<ENV
DJANGO_SETTINGS_MODULE=config.settings.production
SECRET_KEY=$secret
DATABASE_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/$DATABASE
DATABASE_PGBOUNCER=true
DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/$DATABASE
CACHE_URL=$CACHE_URL
CONN_MAX_AGE=60
SECURE_SSL_REDIRECT=false
EMAIL_URL=consolemail://
ALLOWED_HOSTS=localhost,127.0.0.1
PYTHONUNBUFFERED=1
ENV
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

apps_up() {
  mkdir -p "$RUN_DIR"
  app_env >"$RUN_DIR/app.env"
  local port i
  for port in $API_PORTS; do
    if alive "$RUN_DIR/api-$port.pid"; then say "API already on 127.0.0.1:$port"; continue; fi
    say "API instance on 127.0.0.1:$port ($API_WORKERS gunicorn workers)"
    env $(cat "$RUN_DIR/app.env") "$ROOT/.venv/bin/gunicorn" --chdir backend config.wsgi \
      --bind "127.0.0.1:$port" --workers "$API_WORKERS" --pid "$RUN_DIR/api-$port.pid" \
      --error-logfile "$RUN_DIR/api-$port.log" --log-level warning --daemon
  done
  for i in $(seq "$TASK_WORKERS"); do
    if alive "$RUN_DIR/worker-$i.pid"; then say "task worker $i already running"; continue; fi
    say "task worker $i"
    env $(cat "$RUN_DIR/app.env") setsid "$PY" backend/manage.py worker \
      >"$RUN_DIR/worker-$i.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/worker-$i.pid"
  done
  for port in $API_PORTS; do
    for _ in $(seq 60); do
      curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
      sleep 1
    done
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { tail -20 "$RUN_DIR/api-$port.log"; echo "API on $port not ready" >&2; exit 1; }
  done
}

stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

down() {
  local file
  for file in "$RUN_DIR"/worker-*.pid "$RUN_DIR"/api-*.pid; do
    [ -e "$file" ] || continue
    say "stopping $(basename "$file" .pid)"
    stop_pidfile "$file"
  done
  if [ -f "$BOUNCER_DIR/pgbouncer.pid" ]; then
    say "stopping pgbouncer"
    stop_pidfile "$BOUNCER_DIR/pgbouncer.pid"
  fi
  if [ -f "$REPLICA_DIR/PG_VERSION" ]; then
    if replica_running; then
      say "stopping the replica"
      as_pg "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null
    fi
  fi
  if [ "${SCALE_KEEP_DATABASE:-0}" != 1 ] && command -v psql >/dev/null &&
    [ -n "$(primary_sql "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" 2>/dev/null)" ]; then
    say "dropping database $DATABASE"
    primary_sql "DROP DATABASE \"$DATABASE\" WITH (FORCE)"
  fi
  rm -rf "$SCALE_DIR" "$PG_FILES"
  say "down: nothing of scale-up runs, $SCALE_DIR removed"
}

status() {
  local port i
  if replica_running; then
    echo "replica     127.0.0.1:$REPLICA_PORT  streaming from $PRIMARY_HOST:$PRIMARY_PORT" \
      "(in recovery: $(replica_sql "SELECT pg_is_in_recovery()"), replay lag:" \
      "$(primary_sql "SELECT COALESCE(MAX(pg_wal_lsn_diff(sent_lsn, replay_lsn)), 0) FROM pg_stat_replication") bytes)"
  else
    echo "replica     not running"
  fi
  if alive "$BOUNCER_DIR/pgbouncer.pid"; then
    echo "pgbouncer   127.0.0.1:$PGBOUNCER_PORT  transaction mode -> $PRIMARY_HOST:$PRIMARY_PORT (pool $PGBOUNCER_POOL_SIZE)"
  else
    echo "pgbouncer   not running"
  fi
  for port in $API_PORTS; do
    if alive "$RUN_DIR/api-$port.pid"; then
      echo "api         http://127.0.0.1:$port  ($API_WORKERS workers; database via pgbouncer, reports and browsing on the replica)"
    else
      echo "api         $port not running"
    fi
  done
  for i in $(seq "$TASK_WORKERS"); do
    if alive "$RUN_DIR/worker-$i.pid"; then echo "worker $i    pid $(cat "$RUN_DIR/worker-$i.pid")"; else echo "worker $i    not running"; fi
  done
  echo "database    $DATABASE (primary $PRIMARY_HOST:$PRIMARY_PORT), cache $CACHE_URL, files in $SCALE_DIR"
}

case "${1:-}" in
  up) replica_up; database_up; pgbouncer_up; apps_up; status ;;
  db-up) replica_up; pgbouncer_up ;;
  replica-up) replica_up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|db-up|replica-up|status|down" >&2; exit 2 ;;
esac

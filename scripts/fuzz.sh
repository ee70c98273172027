#!/usr/bin/env bash
# Fuzz the live API with schemathesis (`make fuzz`; CI runs it after `make test`).
#
# 1. Builds the state every role starts from: a template database ($FUZZ_DATABASE_seeded),
#    migrated and loaded with the demo data (`seed_demo`: future slots, booked and completed
#    appointments), so there are real objects to find; it is also dumped to var/fuzz/state.dump.
# 2. For each role: copies the template into $FUZZ_DATABASE (default careslot_fuzz_live), serves
#    it with gunicorn on 127.0.0.1:$FUZZ_PORT (default 8799, DEBUG off), logs in as the role's
#    demo account and runs `st run` over the whole schema with that token and the checks listed
#    in scripts/schemathesis.toml.
# 4. Prints one summary line (operations, test cases, failures, duration); exits non-zero if
#    any run found a failure. Reports and the server log are left in var/fuzz/.
#
# There is no anonymous run: every run already sends each operation without a token and with a
# broken one (the `ignored_auth` check), and the public endpoints ignore the header anyway.
#
# Knobs: FUZZ_MAX_EXAMPLES (per operation and phase, default 20), FUZZ_SEED (default fixed, so CI
# explores the same cases each time; `FUZZ_SEED=random` for a fresh one), FUZZ_ROLES (default all
# five: the four roles and an integration client), FUZZ_WORKERS (default 2), FUZZ_ROLE_TIMEOUT
# (seconds per role, default 300), FUZZ_DATABASE_SERVER (default postgres://postgres@127.0.0.1:5432),
# FUZZ_OPERATIONS (";"-separated "METHOD /path" names: only those), FUZZ_STATE (a dump written by
# an earlier run: start from it). A failing run prints a "fuzz replay:" line with the one command
# that replays it (docs/testing.md, "Replaying a fuzz failure").
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

port=${FUZZ_PORT:-8799}
base="http://127.0.0.1:$port"
database=${FUZZ_DATABASE:-careslot_fuzz_live}
server_url=${FUZZ_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
max_examples=${FUZZ_MAX_EXAMPLES:-20}
seed=${FUZZ_SEED:-20261124}
workers=${FUZZ_WORKERS:-2}
role_timeout=${FUZZ_ROLE_TIMEOUT:-300} # seconds; one role takes about one minute on 2 cores
roles=${FUZZ_ROLES:-"patient doctor clinic_admin integration_client platform_admin"}
out="$PWD/var/fuzz" # absolute: gunicorn runs with --chdir backend
bin=.venv/bin

declare -A email=(
  [patient]=patient@careslot.local
  [doctor]=doctor@careslot.local
  [clinic_admin]=clinic.admin@careslot.local
  [platform_admin]=platform.admin@careslot.local
)
password=CareSlot-demo-2026 # seed_demo's DEMO_PASSWORD

# The server under test. Tokens must outlive the run (they are minted once per role, up front),
# and the abuse guards would turn a fuzzer's thousands of requests into 429s and lockouts that
# hide everything behind them: the throttles are raised out of reach and django-axes is off.
# Both keep their own tests in tests/accounts; here they would only add noise.
export DJANGO_SETTINGS_MODULE=config.settings.local
export DATABASE_URL="$server_url/$database"
export DEBUG=false
export JWT_ACCESS_MINUTES=60
export AXES_ENABLED=false
# Every role logs in with the password alone: no role must enrol a second factor, so seed_demo
# leaves the demo platform admin without one (docs/security.md, "Two-factor sign-in").
export CARESLOT_MFA_REQUIRED_ROLES=""
# A configured webhook answers bad signatures with 401; unconfigured it is a 503 by design.
export PAYMENT_WEBHOOK_SECRET=fuzz-webhook-secret
export THROTTLE_LOGIN=100000/min
export THROTTLE_SECOND_FACTOR=100000/min
export THROTTLE_REGISTER=100000/min
export THROTTLE_PASSWORD_RESET=100000/min
export THROTTLE_CONFIRMATION_RESEND=100000/min
export THROTTLE_INTEGRATION_TOKEN=100000/min
export INTEGRATION_TOKEN_MINUTES=60 # the integration client's token, like the users', outlives the run
export EMAIL_URL=dummymail:// # registration and reset emails go nowhere
# No task worker runs here: the mail tasks the fuzzer causes just wait, and /readyz must not
# turn 503 (tasks_lagging) halfway through the run.
export TASK_HEALTH_MAX_LAG_SECONDS=86400
export LOG_LEVEL=WARNING
# Whole-calendar dates, every zone, and hostile strings (NUL, lone surrogates, formulas): the
# classes of input that crashed the API in review (scripts/fuzz_hooks.py).
export SCHEMATHESIS_HOOKS=fuzz_hooks
export PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"

rm -rf "$out"
mkdir -p "$out"

# Every role meets the same state: the demo data, made once into a template database and copied
# fresh before each role's run. A failure can then be replayed from that state alone (with
# FUZZ_STATE, from the dump written here, or rebuilt by seed_demo on the same commit).
template="${database}_seeded"
recreate_database() { # name [template]
  "$bin/python" - "$server_url/postgres" "$@" <<'PY'
import sys

import psycopg

server, name, template = sys.argv[1], sys.argv[2], (sys.argv[3:] or [None])[0]
with psycopg.connect(server, autocommit=True, connect_timeout=5) as connection:
    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    suffix = f' TEMPLATE "{template}"' if template else ""
    connection.execute(f'CREATE DATABASE "{name}"{suffix}')
PY
}
state_dump="$out/state.dump"
pg_bin=$(bash scripts/pg_bin.sh "$server_url/postgres")
recreate_database "$template"
if [ -n "${FUZZ_STATE:-}" ]; then
  echo "fuzz: state restored from $FUZZ_STATE"
  "$pg_bin/pg_restore" --no-owner --dbname "$server_url/$template" "$FUZZ_STATE"
  cp "$FUZZ_STATE" "$state_dump" 2>/dev/null || true
else
  echo "fuzz: state built by migrate + seed_demo"
  DATABASE_URL="$server_url/$template" "$bin/python" backend/manage.py migrate --noinput -v0
  DATABASE_URL="$server_url/$template" "$bin/python" backend/manage.py seed_demo >/dev/null
  "$pg_bin/pg_dump" --format=custom --no-owner --file "$state_dump" "$server_url/$template"
fi
state_sha=$(sha256sum "$state_dump" | cut -c1-16)
echo "fuzz: seed $seed, state $state_dump (sha256 $state_sha), a fresh copy for each role"

if curl -s -o /dev/null "$base/healthz"; then
  echo "fuzz: something already answers on $base; set FUZZ_PORT to a free port" >&2
  exit 1
fi
server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
trap stop_server EXIT
# --limit-request-line 0: the fuzzer builds query strings longer than gunicorn's 4 KiB request
# line, and gunicorn (not Django) answers those with a 414 of its own, before any view runs.
# That limit belongs to whatever serves the API, not to the API's contract.
start_server() { # role
  "$bin/gunicorn" --chdir backend config.wsgi --bind "127.0.0.1:$port" --workers 2 \
    --timeout 60 --limit-request-line 0 --access-logfile "$out/$1.access.log" \
    >>"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 60); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log"; exit 1; }
    sleep 0.5
  done
  curl -fsS "$base/healthz" >/dev/null
}

# The role's login comes first, before any fuzzing. Nothing the fuzzer can do revokes the token:
# password change needs the current password and reset the emailed token, neither of which it
# has; logout only blacklists the refresh token it is sent, and it never sees ours. Deactivating
# the demo account itself is refused (cannot_deactivate_self). What a token may do can change:
# the platform admin run may revoke a role from its own account (the API allows that), after
# which its admin operations answer 403. Declared, so not a failure, only less coverage for
# the rest of that run.
login() { # role
  local body
  body=$(printf '{"email": "%s", "password": "%s"}' "${email[$1]}" "$password")
  curl -fsS -X POST "$base/api/v1/auth/login/" -H 'Content-Type: application/json' -d "$body" |
    "$bin/python" -c 'import json, sys; print(json.load(sys.stdin)["access"])'
}

run_seed=$([ "$seed" = random ] && echo $RANDOM$RANDOM || echo "$seed")
operation_args=()
if [ -n "${FUZZ_OPERATIONS:-}" ]; then
  IFS=';' read -ra wanted <<<"$FUZZ_OPERATIONS"
  for name in "${wanted[@]}"; do operation_args+=(--include-name "$name"); done
fi

# What a failure needs to be replayed: the role, the seed, the state and the operations. One
# command runs those operations again, alone and in one worker, from the same state.
print_replay() { # role
  local names
  names=$(grep -aoE '^_+ (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) [^ ]+ _+$' "$out/$1.log" |
    sed -E 's/^_+ //; s/ _+$//' | sort -u | paste -sd ';' -)
  echo
  echo "fuzz replay: role $1, seed $run_seed, state $state_dump (sha256 $state_sha)"
  echo "fuzz replay: operations ${names:-(see the log above)}"
  echo "fuzz replay: FUZZ_ROLES=$1 FUZZ_SEED=$run_seed FUZZ_WORKERS=1 FUZZ_OPERATIONS='$names'" \
    "FUZZ_STATE=$state_dump make fuzz"
  echo "fuzz replay: (without var/fuzz, as after CI, leave out FUZZ_STATE: seed_demo rebuilds the"
  echo "fuzz replay:  state on the same commit; only the dates move with the day)"
}

# integration_client: a machine, not a person (docs/integrations.md). The demo clinic admin
# creates a client with every scope for Mitte Health (at the highest rate a client may have),
# and its credentials buy the token (OAuth 2.0 client credentials).
integration_token() {
  "$bin/python" - "$base" "$(login clinic_admin)" <<'PY'
import json
import sys
import urllib.request

base, admin = sys.argv[1], sys.argv[2]


def call(path, body=None, token=None):
    data = json.dumps(body).encode() if body else None
    request = urllib.request.Request(base + path, data=data)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


clinic = call("/api/v1/clinics/?search=Mitte", token=admin)["results"][0]["id"]
scopes = "schedule:read slots:write appointments:read appointments:write webhooks:manage"
body = {"clinic": clinic, "name": "fuzz", "scopes": [*scopes.split(), "system/*.read"]}
made = call("/api/v1/integration-clients/", body | {"requests_per_minute": 10000}, admin)
grant = {"grant_type": "client_credentials", "client_id": made["id"]}
print(call("/api/v1/oauth/token/", grant | {"client_secret": made["client_secret"]})["access_token"])
PY
}

status=0
for role in $roles; do
  echo
  echo "==> st run as $role (seed $run_seed, state sha256 $state_sha)"
  recreate_database "$database" "$template"
  start_server "$role"
  if [ "$role" = integration_client ]; then
    token=$(integration_token)
  else
    token=$(login "$role")
  fi
  # No TTY in CI: plain output, one file per role next to its JSON report. `timeout` is the
  # hard bound (st's own --max-time is a budget it spends in full, not a cap).
  if ! timeout "$role_timeout" "$bin/st" --config-file scripts/schemathesis.toml --no-color \
    run "$base/api/schema/" \
    --url "$base" \
    -H "Authorization: Bearer $token" \
    --max-examples "$max_examples" \
    --seed "$run_seed" \
    --workers "$workers" \
    "${operation_args[@]}" \
    --report json --report-json-path "$out/$role.json" \
    >"$out/$role.log" 2>&1; then
    status=1
    # the failures with their curl reproductions, then the summary
    sed -n '/^=* FAILURES =*$/,$p' "$out/$role.log" | head -n 400
    print_replay "$role"
  else
    sed -n '/^=* SUMMARY =*$/,$p' "$out/$role.log"
  fi
  stop_server
done

if grep -q "Traceback" "$out/server.log"; then
  echo
  echo "==> server errors (from $out/server.log)"
  grep -B1 -A40 "Traceback" "$out/server.log" | head -n 200
fi

"$bin/python" - "$out" "$started" $roles <<'PY'
import json
import sys
import time
from pathlib import Path

out, started, roles = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
operations = generated = failures = errors = 0
for role in roles:
    path = out / f"{role}.json"
    if not path.exists():
        print(f"fuzz: {role}: no report (st did not finish)")
        errors += 1
        continue
    report = json.loads(path.read_text())
    role_failures = sum(f["count"] for f in report["failures"])
    role_errors = len(report["errors"])
    print(
        f"fuzz: {role}: {report['operations']['tested']} operations, "
        f"{report['test_cases']['generated']} test cases, {role_failures} failures, "
        f"{role_errors} errors, {report['running_time']:.0f}s"
    )
    operations = max(operations, report["operations"]["tested"])
    generated += report["test_cases"]["generated"]
    failures += role_failures
    errors += role_errors
print(
    f"fuzz summary: {len(roles)} roles x {operations} operations, {generated} test cases, "
    f"{failures} failures, {errors} errors, {int(time.time()) - started}s"
)
PY
exit "$status"

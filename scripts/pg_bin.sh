#!/usr/bin/env bash
# Print the directory of PostgreSQL client programs matching the server at $1 (its major
# version): $PG_BIN if set, Debian's /usr/lib/postgresql/<major>/bin if present, else the PATH's
# when it is that major version. A pg_dump older than the server refuses to dump it.
# (It asks the server's `postgres` database: the one to restore into may not exist yet.)
set -euo pipefail
if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; exit 0; fi
major=$(psql -Atq "${1%/*}/postgres" -c "SELECT current_setting('server_version_num')::int / 10000")
if [ -x "/usr/lib/postgresql/$major/bin/pg_dump" ]; then
  echo "/usr/lib/postgresql/$major/bin"
  exit 0
fi
client=$(pg_dump --version | grep -oE '[0-9]+' | head -n 1)
if [ "$client" -lt "$major" ]; then
  echo "pg_dump $client is older than the server ($major): set PG_BIN" >&2
  exit 1
fi
dirname "$(command -v pg_dump)"

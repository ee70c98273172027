#!/usr/bin/env bash
# Restore a backup into a NEW database: scripts/restore.sh FILE DATABASE_URL
# Refuses a database that exists (restore next to the damaged one, check it, then switch
# DATABASE_URL); stops at the first error, in one transaction, so a failed restore leaves an
# empty database, never half of one.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 FILE DATABASE_URL" >&2; exit 2; }
file=$1 url=$2
bin=$(bash "$(dirname "$0")/pg_bin.sh" "$url")
name=${url##*/}
name=${name%%\?*}
server=${url%/*}
if [ -n "$("$bin/psql" -Atq "$server/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
  echo "restore: database $name exists; restore into a new one" >&2
  exit 1
fi
"$bin/psql" -q "$server/postgres" -c "CREATE DATABASE \"$name\""
"$bin/pg_restore" --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$file"
"$bin/psql" -q "$url" -c "ANALYZE" # the planner's statistics are not in the archive
echo "restore: $file restored into $name"

#!/usr/bin/env bash
# Back up a CareSlot database: scripts/backup.sh DATABASE_URL FILE
# A pg_dump custom-format archive (compressed, restorable table by table with pg_restore), taken
# in one snapshot transaction: consistent while the API and workers keep writing.
# The client must be the server's major version or newer (docs/operations.md): set PG_BIN to
# its directory, or let scripts/pg_bin.sh find /usr/lib/postgresql/<server major>/bin.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DATABASE_URL FILE" >&2; exit 2; }
url=$1 file=$2
bin=$(bash "$(dirname "$0")/pg_bin.sh" "$url")
"$bin/pg_dump" --format=custom --compress=6 --no-owner --no-privileges --file="$file.partial" "$url"
mv "$file.partial" "$file" # never leave a truncated archive under the final name
echo "backup: $(du -h "$file" | cut -f1) written to $file with $("$bin/pg_dump" --version)"

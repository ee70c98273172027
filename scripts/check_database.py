"""Stop `make test` early, with instructions, when PostgreSQL is not reachable."""

import os
import sys

import psycopg

url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/careslot")
# Connect to the maintenance database: the test database itself may not exist yet.
server = url.rsplit("/", 1)[0] + "/postgres"
try:
    with psycopg.connect(server, connect_timeout=3) as connection:
        connection.execute("SELECT 1")
except psycopg.OperationalError as exc:
    reason = str(exc).strip().splitlines()[0]
    sys.stderr.write(
        f"\nPostgreSQL is not reachable at {server}\n  ({reason})\n\n"
        "The test suite runs against a real PostgreSQL 15. Start one with:\n"
        "    docker compose up -d db\n"
        "or point DATABASE_URL at a server you have, e.g.\n"
        "    DATABASE_URL=postgres://user:password@host:5432/careslot make test\n\n"
    )
    sys.exit(1)

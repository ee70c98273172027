"""Stop `make test` early, with instructions, when PostgreSQL or Redis is not reachable."""

import os
import sys

import psycopg
import redis

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

redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
except redis.RedisError as exc:
    sys.stderr.write(
        f"\nRedis is not reachable at {redis_url}\n  ({exc})\n\n"
        "The throttle tests run real servers sharing a real Redis (the suite empties that\n"
        "database). Start one with:\n"
        "    docker compose up -d redis\n"
        "or point TEST_REDIS_URL at a database you can spare, e.g.\n"
        "    TEST_REDIS_URL=redis://127.0.0.1:6379/5 make test\n\n"
    )
    sys.exit(1)

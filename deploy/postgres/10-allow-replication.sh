#!/bin/sh
# Run once by the official postgres image when it initialises the primary's data directory
# (/docker-entrypoint-initdb.d): let the replica service stream from it. The primary of
# docker-compose.scale.yml trusts its private network, like docker-compose.yml's database;
# in production use a replication role with a password (scram-sha-256) instead.
set -eu
echo "host replication all all trust" >> "$PGDATA/pg_hba.conf"

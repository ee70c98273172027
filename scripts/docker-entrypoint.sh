#!/bin/sh
# Wait for the database, apply migrations, then run the given command (gunicorn by default).
set -e
python backend/manage.py wait_for_db --timeout 60
python backend/manage.py migrate --noinput
exec "$@"

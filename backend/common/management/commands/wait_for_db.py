"""Block until the default database accepts connections (used by the Docker entrypoint)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = "Wait until the database accepts connections."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--timeout", type=int, default=60, help="seconds before giving up")

    def handle(self, *args, timeout: int, **options) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
            except OperationalError as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"database unavailable after {timeout}s: {exc}") from exc
                time.sleep(1)
                connection.close()
            else:
                self.stdout.write("database available")
                return

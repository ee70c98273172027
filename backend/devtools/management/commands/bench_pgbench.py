"""`manage.py bench_pgbench`: a booking's SQL as a pgbench script (devtools.pgbench_booking).

Run on the bench database by `make bench`, which then replays the script with pgbench."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from devtools import pgbench_booking


class Command(BaseCommand):
    help = "Book one slot through the API and write its SQL as a pgbench script."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument("--pairs", type=int, default=30000, help="Bookings pgbench may make")
        parser.add_argument("--drop", action="store_true", help="Only drop the pairs table")

    def handle(self, *args, output: Path, pairs: int, drop: bool, **options) -> None:
        if drop:
            pgbench_booking.drop_pairs()
            return
        made = pgbench_booking.create_pairs(pairs)
        statements, values = pgbench_booking.capture_booking()
        output.write_text(pgbench_booking.pgbench_script(statements, values))
        self.stdout.write(
            f"{output}: {len(statements)} statements of one booking, {made - 1} pairs left"
        )

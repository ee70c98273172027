"""`manage.py seed_scale`: the platform-scale data set (PostgreSQL only), for `make bench`."""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from devtools.scale_seed import (
    BENCH_PASSWORD,
    ScaleSeeder,
    Sizes,
    analyze,
    database_is_empty,
    reset_database,
    summary,
)


class Command(BaseCommand):
    help = (
        "Load the platform-scale data set (default: 1,000 doctors, 100 clinics, 50,000 "
        "patients, 1,000,000 slots, 300,000 appointments with reviews, history, points and "
        "payments) with COPY. Refuses a non-empty database unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Multiply every default size (0.01: quick)"
        )
        for name in ("doctors", "clinics", "patients", "slots", "appointments"):
            parser.add_argument(f"--{name}", type=int, help=f"Override the number of {name}")
        parser.add_argument("--seed", type=int, default=42, help="Random seed")
        parser.add_argument(
            "--reset", action="store_true", help="Empty every application table first"
        )
        parser.add_argument(
            "--no-vacuum",
            action="store_true",
            help="ANALYZE only (inside a transaction, e.g. in tests)",
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (set DATABASE_URL).")
        try:
            sizes = Sizes.at_scale(
                options["scale"],
                **{
                    n: options[n]
                    for n in ("doctors", "clinics", "patients", "slots", "appointments")
                },
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        log = self.stdout.write
        started = time.monotonic()
        if not database_is_empty():
            if not options["reset"]:
                raise CommandError(
                    "The database already has users; run with --reset to empty it first."
                )
            reset_database(log)
        log(f"Seeding {sizes} into {connection.settings_dict['NAME']}")
        counts = ScaleSeeder(sizes, seed=options["seed"], log=log).run()
        analyze_started = time.monotonic()
        analyze(vacuum=not options["no_vacuum"] and not connection.in_atomic_block)
        log(f"Statistics refreshed in {time.monotonic() - analyze_started:.1f}s.")
        log(summary(counts))
        log(
            self.style.SUCCESS(
                f"Seeded in {time.monotonic() - started:.1f}s. Every account's password is "
                f"{BENCH_PASSWORD}."
            )
        )

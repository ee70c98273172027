"""`manage.py bench_plan`: the requests `make bench` sends, as JSON (tokens minted directly)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from devtools.bench_scenarios import build_plan


class Command(BaseCommand):
    help = "Write the bench plan (requests per endpoint, with access tokens) for scripts/bench/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument("--variants", type=int, default=200, help="Requests per endpoint")
        parser.add_argument("--bookings", type=int, default=6000, help="Uncontended bookings")
        parser.add_argument("--rounds", type=int, default=5, help="Rounds of 50 clients x 10 slots")

    def handle(self, *args, **options) -> None:
        plan = build_plan(
            variants=options["variants"], bookings=options["bookings"], rounds=options["rounds"]
        )
        options["output"].parent.mkdir(parents=True, exist_ok=True)
        options["output"].write_text(json.dumps(plan, default=str))
        counts = ", ".join(f"{s['key']}={len(s['requests'])}" for s in plan["scenarios"])
        self.stdout.write(
            f"Wrote {options['output']}: {counts}, contended={len(plan['contended'])}"
        )

"""`manage.py bench_explain` (`make explain`): EXPLAIN (ANALYZE, BUFFERS) of the SQL the API
runs for slot search, the directory, the appointment lists and each report, on the bench
database.

Each request of the bench plan is sent once through Django's test client with the captured SQL
recorded, so what is explained is exactly what the endpoint sends to PostgreSQL; the two
queries of authentication (the user and their roles) are left out.
"""

import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from devtools import pgbench_booking
from devtools.bench_scenarios import build_plan

EXPLAINED = [
    "booking",
    "slot_search",
    "doctor_calendar",
    "directory",
    "upcoming",
    "doctor_day",
    "report_bookings",
    "report_revenue",
    "report_user-activity",
    "report_doctors",
    "report_me",
]
AUTH_QUERY = re.compile(r'FROM "(accounts_user|user_role)"\s+WHERE "(accounts_user|user_role)"\.')
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
INDEX_NAME = re.compile(
    r"Bitmap Index Scan on (\w+)|Index (?:Only )?Scan(?: Backward)? using (\w+)"
)
WINDOW = re.compile(r"date_from=[^&]*&date_to=[^&]*&?")


class Command(BaseCommand):
    help = "Print EXPLAIN (ANALYZE, BUFFERS) of slot search and each report on this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", nargs="*", help=f"Scenario keys (default: {EXPLAINED})")

    def handle(self, *args, **options) -> None:
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        plan = {s["key"]: s for s in build_plan(variants=1, bookings=0, rounds=0)["scenarios"]}
        for key in options["only"] or EXPLAINED:
            if key == "booking":
                self._booking()
                continue
            scenario = plan[key]
            request = scenario["requests"][0]
            self._request(scenario["name"], request["path"], request["token"])
            if key.startswith("report_"):
                # The bench asks for every appointment; a report's default is the last 30 days.
                path = WINDOW.sub("", request["path"])
                self._request(f"{scenario['name']} (default window)", path, request["token"])

    def _request(self, name: str, path: str, token: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"\n### {name}"))
        self.stdout.write(f"GET {path}")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        self.stdout.write(f"-> {response.status_code}, {len(captured)} queries")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or AUTH_QUERY.search(sql):
                continue
            self._explain(sql)

    def _booking(self) -> None:
        """A real booking (a free slot, a free patient), then its reads explained: the locks
        and checks it takes before writing (the writes themselves touch one row each)."""
        self.stdout.write(self.style.MIGRATE_HEADING("\n### booking (uncontended)"))
        pgbench_booking.create_pairs(2)
        try:
            statements, _ = pgbench_booking.capture_booking()
        finally:
            pgbench_booking.drop_pairs()
        self.stdout.write(f"POST /api/v1/appointments/ -> 201, {len(statements)} statements")
        for sql in statements:
            if sql.lstrip().upper().startswith("SELECT") and not AUTH_QUERY.search(sql):
                self._explain(sql)

    def _explain(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        indexes = sorted({name for pair in INDEX_NAME.findall(plan) for name in pair if name})
        scans = sorted(set(SEQ_SCAN.findall(plan)))
        self.stdout.write(self.style.SQL_KEYWORD(f"\n-- {sql}"))
        self.stdout.write(plan)
        self.stdout.write(f"-- indexes used: {', '.join(indexes) or 'none'}")
        self.stdout.write(f"-- sequential scans: {', '.join(scans) or 'none'}")

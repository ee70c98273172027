"""A booking's SQL as a pgbench script: the physical limit of the write path (issue #17).

One real booking goes through the whole stack (Django's test client: authentication,
middleware, validation, the booking service, the response) with every statement captured. The
captured statements become a pgbench transaction in which each identifier of that booking (the
patient, the slot, the doctor, the clinic, the new appointment and task rows) is a pgbench
variable. Each pgbench transaction takes the next row of a table of (patient, free slot)
pairs drawn like the bench's own bookings, so every replay books a different free slot for a
patient who is free at that time, exactly as the API would, and commits.

pgbench then runs the same SQL at the same client count with no Python in the loop: booking
req/s divided by pgbench's transactions/s is the share of the ceiling the API reaches.
"""

from __future__ import annotations

import json
import re
import uuid

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from appointments.models import Appointment
from devtools.bench_scenarios import Tokens

PAIRS_TABLE = "bench_pgbench_pairs"
PAIRS_SEQUENCE = "bench_pgbench_next"
# The variables of one booking, in the order the pairs table holds them.
PAIR_COLUMNS = ("patient", "patient_user", "slot", "doctor", "doctor_user", "clinic")
# The table and sequence names in the SQL below are these constants, never input (S608).
HEX_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


def create_pairs(count: int) -> int:
    """Up to `count` (patient, free slot) pairs no booking has used: distinct future slots of
    bookable doctors and clinics, each with its own patient who has nothing booked then."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PAIRS_TABLE}")
        cursor.execute(f"DROP SEQUENCE IF EXISTS {PAIRS_SEQUENCE}")
        cursor.execute(
            f"""
            CREATE TABLE {PAIRS_TABLE} AS
            WITH slots AS (
              SELECT s.id, s.start, s."end", s.doctor_id, s.clinic_id, d.user_id AS doctor_user,
                     row_number() OVER (ORDER BY md5(s.id::text || 'pgbench')) AS n
              FROM scheduling_slot s
              JOIN doctors_doctor d ON d.id = s.doctor_id
              JOIN clinics_clinic c ON c.id = s.clinic_id
              WHERE s.status = 'available' AND s.start > now() + interval '2 days'
                AND d.is_confirmed AND c.is_active
              ORDER BY md5(s.id::text || 'pgbench') LIMIT %(count)s
            ), patients AS (
              SELECT p.id, p.user_id,
                     row_number() OVER (ORDER BY md5(p.id::text || 'pgbench')) AS n
              FROM patients_patient p
              ORDER BY md5(p.id::text || 'pgbench') LIMIT %(count)s
            )
            SELECT row_number() OVER (ORDER BY s.n) AS n, p.id AS patient,
                   p.user_id AS patient_user, s.id AS slot, s.doctor_id AS doctor,
                   s.doctor_user, s.clinic_id AS clinic
            FROM slots s JOIN patients p ON p.n = s.n
            WHERE p.user_id <> s.doctor_user AND NOT EXISTS (
              SELECT 1 FROM appointments_appointment a
              WHERE a.patient_id = p.id AND a.status = 'booked'
                AND a.start < s."end" AND a."end" > s.start)
            """,
            {"count": count},
        )
        cursor.execute(f"CREATE UNIQUE INDEX ON {PAIRS_TABLE} (n)")
        cursor.execute(f"CREATE SEQUENCE {PAIRS_SEQUENCE}")
        cursor.execute(f"SELECT COUNT(*) FROM {PAIRS_TABLE}")
        return cursor.fetchone()[0]


def capture_booking() -> tuple[list[str], dict[str, str]]:
    """Book the first pair through the API; return its SQL and the values to templatize."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(PAIR_COLUMNS)} FROM {PAIRS_TABLE} "
            f"WHERE n = (SELECT nextval('{PAIRS_SEQUENCE}'))"
        )
        pair = dict(zip(PAIR_COLUMNS, cursor.fetchone(), strict=True))
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {Tokens()(pair['patient_user'])}")
    tasks_before = set(DBTaskResult.objects.values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/api/v1/appointments/",
            data=json.dumps({"slot": str(pair["slot"])}),
            content_type="application/json",
        )
    if response.status_code != 201:
        raise RuntimeError(f"the captured booking failed: {response.status_code}")
    appointment = Appointment.objects.get(pk=response.json()["id"])
    new_tasks = DBTaskResult.objects.exclude(id__in=tasks_before).order_by("enqueued_at")
    values = {name: str(value) for name, value in pair.items()}
    values["appointment"] = str(appointment.pk)
    for i, task_id in enumerate(new_tasks.values_list("id", flat=True)):
        values[f"task{i}"] = str(task_id)
    return [query["sql"] for query in captured.captured_queries], values


def pgbench_script(statements: list[str], values: dict[str, str]) -> str:
    """The transaction as pgbench runs it: the next pair and fresh ids, then the statements
    with every identifier of the captured booking replaced by its variable."""
    by_hex = {uuid.UUID(value).hex: name for name, value in values.items()}

    def variable(match: re.Match) -> str:
        # Any other identifier (a request id carried into the task rows, say) is made afresh
        # for each transaction too.
        key = match.group(0).replace("-", "")
        if key not in by_hex:
            by_hex[key] = f"other{len(by_hex)}"
        return f":{by_hex[key]}"

    body = [HEX_UUID.sub(variable, " ".join(sql.split())) + ";" for sql in statements]
    fresh = [name for name in by_hex.values() if name not in PAIR_COLUMNS]

    lines = [
        "-- generated by `manage.py bench_pgbench` from a booking made through the API",
        f"SELECT {', '.join(PAIR_COLUMNS)}, "
        + ", ".join(f"gen_random_uuid() AS {name}" for name in fresh)
        + f" FROM {PAIRS_TABLE} WHERE n = (SELECT nextval('{PAIRS_SEQUENCE}')) \\gset",
    ]
    return "\n".join(lines + body) + "\n"


def drop_pairs() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PAIRS_TABLE}")
        cursor.execute(f"DROP SEQUENCE IF EXISTS {PAIRS_SEQUENCE}")

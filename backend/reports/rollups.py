"""The report rollups: kept by PostgreSQL triggers on the appointment table, rebuilt from it here.

The triggers live in the migrations that made them (reports/migrations/0002_rollup_triggers.py
holds its SQL whole); a change to them is a new migration with the new SQL.

A trigger sees every write whatever its path (services, the admin, bulk operations, data
migrations, `seed_scale`'s COPY, a psql session), so the rollups cannot drift the way
Python-side bookkeeping next to each writer could. The triggers are statement-level with
transition tables: one aggregated upsert per statement, however many rows it wrote (a COPY of
300,000 appointments is one upsert of a few thousand rows). An update that changes nothing a
report reads (notes, proposals, `updated_at`) nets to zero and writes nothing.

Rows are locked in key order within a statement, so two statements touching the same buckets
cannot deadlock each other. The platform-wide row of a bucket is shared by every clinic: two
bookings of the same quarter hour wait for each other's commit at that row (a few ms).

Other databases (the embedded SQLite of `make run`) get no triggers: the reports read the
appointments themselves there (`rollups_maintained()`).

`rebuild()` (`manage.py rebuild_report_rollups`) recomputes every rollup from the appointments
with the upserts the triggers run, under a lock that holds writers back meanwhile.
"""

from django.db import connection

APPOINTMENTS = "appointments_appointment"
BUCKETS = "reports_appointmentrollup"
DOCTOR_DAYS = "reports_doctordayrollup"
DOCTOR_MONTHS = "reports_doctormonthrollup"
BUCKET = "date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
DAY = "(start AT TIME ZONE 'UTC')::date"
MONTH = "date_trunc('month', start AT TIME ZONE 'UTC')::date"
EVERYTHING = f"SELECT *, 1 AS sign FROM {APPOINTMENTS}"  # noqa: S608 (constant names)


def rollups_maintained() -> bool:
    return connection.vendor == "postgresql"


def _upsert_buckets(changes: str) -> str:
    """The statement adding `changes` (rows with a `sign`) to the bucket rollup, per clinic
    and platform-wide (the grouping set without the clinic), returning the rows it touched."""
    return f"""
        WITH changes AS ({changes})
        INSERT INTO {BUCKETS} AS r (
            clinic_id, bucket, status, payment_status,
            appointments, consultation_fees, transaction_fees, total_amounts)
        SELECT clinic_id, {BUCKET}, status, payment_status,
            SUM(sign), SUM(sign * consultation_fee), SUM(sign * transaction_fee),
            SUM(sign * total_amount)
        FROM changes
        GROUP BY GROUPING SETS (
            (clinic_id, {BUCKET}, status, payment_status), ({BUCKET}, status, payment_status))
        HAVING SUM(sign) <> 0 OR SUM(sign * consultation_fee) <> 0
            OR SUM(sign * transaction_fee) <> 0 OR SUM(sign * total_amount) <> 0
        ORDER BY 1 NULLS FIRST, 2, 3, 4
        ON CONFLICT (clinic_id, bucket, status, payment_status) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            consultation_fees = r.consultation_fees + EXCLUDED.consultation_fees,
            transaction_fees = r.transaction_fees + EXCLUDED.transaction_fees,
            total_amounts = r.total_amounts + EXCLUDED.total_amounts
        RETURNING r.id, r.appointments
    """  # noqa: S608 (table and column names are constants)


def _upsert_doctor_counts(changes: str, table: str, column: str, expression: str) -> str:
    """The statement adding `changes` to a doctor rollup per `column` (a UTC day or month)."""
    return f"""
        WITH changes AS ({changes})
        INSERT INTO {table} AS r (
            doctor_id, clinic_id, {column}, appointments, completed, no_shows)
        SELECT doctor_id, clinic_id, {expression}, SUM(sign),
            COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
            COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
        FROM changes
        GROUP BY doctor_id, clinic_id, {expression}
        HAVING SUM(sign) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (doctor_id, clinic_id, {column}) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            completed = r.completed + EXCLUDED.completed,
            no_shows = r.no_shows + EXCLUDED.no_shows
        RETURNING r.id, r.appointments
    """  # noqa: S608 (table and column names are constants)


def _upserts(changes: str) -> list[tuple[str, str]]:
    """(table, statement) for every rollup."""
    return [
        (BUCKETS, _upsert_buckets(changes)),
        (DOCTOR_DAYS, _upsert_doctor_counts(changes, DOCTOR_DAYS, "day", DAY)),
        (DOCTOR_MONTHS, _upsert_doctor_counts(changes, DOCTOR_MONTHS, "month", MONTH)),
    ]


def rebuild() -> dict[str, int]:
    """Recompute every rollup from the appointments, exactly; writers of appointments wait
    until the caller's transaction ends (SHARE lock), readers do not. Returns the row counts."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {APPOINTMENTS} IN SHARE MODE")
        for table, upsert in _upserts(EVERYTHING):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (constant names)
            cursor.execute(upsert)
        counts = {}
        for table, _ in _upserts(EVERYTHING):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (constant names)
            counts[table] = cursor.fetchone()[0]
    return counts

"""The report rollups' triggers on the appointment table (PostgreSQL; nothing elsewhere).

The SQL is frozen here as it was written: a migration is history, so it never imports the live
code the SQL came from (reports/rollups.py). A later change to the triggers is a new migration;
tests/common/test_migrations_are_history.py checks that `rebuild()` still runs the upserts
the newest trigger migration backfills with.
"""

from django.db import migrations

CREATE = [
    """CREATE FUNCTION reports_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE emptied bigint[];
        BEGIN

        WITH touched AS (
        WITH changes AS (SELECT *, 1 AS sign FROM new_rows)
        INSERT INTO reports_appointmentrollup AS r (
            clinic_id, bucket, status, payment_status,
            appointments, consultation_fees, transaction_fees, total_amounts)
        SELECT clinic_id, date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status,
            SUM(sign), SUM(sign * consultation_fee), SUM(sign * transaction_fee),
            SUM(sign * total_amount)
        FROM changes
        GROUP BY GROUPING SETS (
            (clinic_id, date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status), (date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status))
        HAVING SUM(sign) <> 0 OR SUM(sign * consultation_fee) <> 0
            OR SUM(sign * transaction_fee) <> 0 OR SUM(sign * total_amount) <> 0
        ORDER BY 1 NULLS FIRST, 2, 3, 4
        ON CONFLICT (clinic_id, bucket, status, payment_status) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            consultation_fees = r.consultation_fees + EXCLUDED.consultation_fees,
            transaction_fees = r.transaction_fees + EXCLUDED.transaction_fees,
            total_amounts = r.total_amounts + EXCLUDED.total_amounts
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_appointmentrollup WHERE id = ANY(emptied);
        END IF;

        WITH touched AS (
        WITH changes AS (SELECT *, 1 AS sign FROM new_rows)
        INSERT INTO reports_doctordayrollup AS r (
            doctor_id, clinic_id, day, appointments, completed, no_shows)
        SELECT doctor_id, clinic_id, (start AT TIME ZONE 'UTC')::date, SUM(sign),
            COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
            COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
        FROM changes
        GROUP BY doctor_id, clinic_id, (start AT TIME ZONE 'UTC')::date
        HAVING SUM(sign) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (doctor_id, clinic_id, day) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            completed = r.completed + EXCLUDED.completed,
            no_shows = r.no_shows + EXCLUDED.no_shows
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_doctordayrollup WHERE id = ANY(emptied);
        END IF;

        WITH touched AS (
        WITH changes AS (SELECT *, 1 AS sign FROM new_rows)
        INSERT INTO reports_doctormonthrollup AS r (
            doctor_id, clinic_id, month, appointments, completed, no_shows)
        SELECT doctor_id, clinic_id, date_trunc('month', start AT TIME ZONE 'UTC')::date, SUM(sign),
            COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
            COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
        FROM changes
        GROUP BY doctor_id, clinic_id, date_trunc('month', start AT TIME ZONE 'UTC')::date
        HAVING SUM(sign) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (doctor_id, clinic_id, month) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            completed = r.completed + EXCLUDED.completed,
            no_shows = r.no_shows + EXCLUDED.no_shows
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_doctormonthrollup WHERE id = ANY(emptied);
        END IF;

            RETURN NULL;
        END; $$""",
    """CREATE TRIGGER reports_rollup_inserted AFTER INSERT ON appointments_appointment REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_inserted()""",
    """CREATE FUNCTION reports_rollup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE emptied bigint[];
        BEGIN

        WITH touched AS (
        WITH changes AS (SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 AS sign FROM old_rows)
        INSERT INTO reports_appointmentrollup AS r (
            clinic_id, bucket, status, payment_status,
            appointments, consultation_fees, transaction_fees, total_amounts)
        SELECT clinic_id, date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status,
            SUM(sign), SUM(sign * consultation_fee), SUM(sign * transaction_fee),
            SUM(sign * total_amount)
        FROM changes
        GROUP BY GROUPING SETS (
            (clinic_id, date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status), (date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status))
        HAVING SUM(sign) <> 0 OR SUM(sign * consultation_fee) <> 0
            OR SUM(sign * transaction_fee) <> 0 OR SUM(sign * total_amount) <> 0
        ORDER BY 1 NULLS FIRST, 2, 3, 4
        ON CONFLICT (clinic_id, bucket, status, payment_status) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            consultation_fees = r.consultation_fees + EXCLUDED.consultation_fees,
            transaction_fees = r.transaction_fees + EXCLUDED.transaction_fees,
            total_amounts = r.total_amounts + EXCLUDED.total_amounts
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_appointmentrollup WHERE id = ANY(emptied);
        END IF;

        WITH touched AS (
        WITH changes AS (SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 AS sign FROM old_rows)
        INSERT INTO reports_doctordayrollup AS r (
            doctor_id, clinic_id, day, appointments, completed, no_shows)
        SELECT doctor_id, clinic_id, (start AT TIME ZONE 'UTC')::date, SUM(sign),
            COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
            COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
        FROM changes
        GROUP BY doctor_id, clinic_id, (start AT TIME ZONE 'UTC')::date
        HAVING SUM(sign) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (doctor_id, clinic_id, day) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            completed = r.completed + EXCLUDED.completed,
            no_shows = r.no_shows + EXCLUDED.no_shows
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_doctordayrollup WHERE id = ANY(emptied);
        END IF;

        WITH touched AS (
        WITH changes AS (SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 AS sign FROM old_rows)
        INSERT INTO reports_doctormonthrollup AS r (
            doctor_id, clinic_id, month, appointments, completed, no_shows)
        SELECT doctor_id, clinic_id, date_trunc('month', start AT TIME ZONE 'UTC')::date, SUM(sign),
            COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
            COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
        FROM changes
        GROUP BY doctor_id, clinic_id, date_trunc('month', start AT TIME ZONE 'UTC')::date
        HAVING SUM(sign) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (doctor_id, clinic_id, month) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            completed = r.completed + EXCLUDED.completed,
            no_shows = r.no_shows + EXCLUDED.no_shows
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_doctormonthrollup WHERE id = ANY(emptied);
        END IF;

            RETURN NULL;
        END; $$""",
    """CREATE TRIGGER reports_rollup_updated AFTER UPDATE ON appointments_appointment REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_updated()""",
    """CREATE FUNCTION reports_rollup_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE emptied bigint[];
        BEGIN

        WITH touched AS (
        WITH changes AS (SELECT *, -1 AS sign FROM old_rows)
        INSERT INTO reports_appointmentrollup AS r (
            clinic_id, bucket, status, payment_status,
            appointments, consultation_fees, transaction_fees, total_amounts)
        SELECT clinic_id, date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status,
            SUM(sign), SUM(sign * consultation_fee), SUM(sign * transaction_fee),
            SUM(sign * total_amount)
        FROM changes
        GROUP BY GROUPING SETS (
            (clinic_id, date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status), (date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status))
        HAVING SUM(sign) <> 0 OR SUM(sign * consultation_fee) <> 0
            OR SUM(sign * transaction_fee) <> 0 OR SUM(sign * total_amount) <> 0
        ORDER BY 1 NULLS FIRST, 2, 3, 4
        ON CONFLICT (clinic_id, bucket, status, payment_status) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            consultation_fees = r.consultation_fees + EXCLUDED.consultation_fees,
            transaction_fees = r.transaction_fees + EXCLUDED.transaction_fees,
            total_amounts = r.total_amounts + EXCLUDED.total_amounts
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_appointmentrollup WHERE id = ANY(emptied);
        END IF;

        WITH touched AS (
        WITH changes AS (SELECT *, -1 AS sign FROM old_rows)
        INSERT INTO reports_doctordayrollup AS r (
            doctor_id, clinic_id, day, appointments, completed, no_shows)
        SELECT doctor_id, clinic_id, (start AT TIME ZONE 'UTC')::date, SUM(sign),
            COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
            COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
        FROM changes
        GROUP BY doctor_id, clinic_id, (start AT TIME ZONE 'UTC')::date
        HAVING SUM(sign) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (doctor_id, clinic_id, day) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            completed = r.completed + EXCLUDED.completed,
            no_shows = r.no_shows + EXCLUDED.no_shows
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_doctordayrollup WHERE id = ANY(emptied);
        END IF;

        WITH touched AS (
        WITH changes AS (SELECT *, -1 AS sign FROM old_rows)
        INSERT INTO reports_doctormonthrollup AS r (
            doctor_id, clinic_id, month, appointments, completed, no_shows)
        SELECT doctor_id, clinic_id, date_trunc('month', start AT TIME ZONE 'UTC')::date, SUM(sign),
            COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
            COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
        FROM changes
        GROUP BY doctor_id, clinic_id, date_trunc('month', start AT TIME ZONE 'UTC')::date
        HAVING SUM(sign) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
            OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (doctor_id, clinic_id, month) DO UPDATE SET
            appointments = r.appointments + EXCLUDED.appointments,
            completed = r.completed + EXCLUDED.completed,
            no_shows = r.no_shows + EXCLUDED.no_shows
        RETURNING r.id, r.appointments
    )
        SELECT array_agg(id) INTO emptied FROM touched WHERE appointments = 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM reports_doctormonthrollup WHERE id = ANY(emptied);
        END IF;

            RETURN NULL;
        END; $$""",
    """CREATE TRIGGER reports_rollup_deleted AFTER DELETE ON appointments_appointment REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_deleted()""",
    """CREATE FUNCTION reports_rollup_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM reports_appointmentrollup;
            DELETE FROM reports_doctordayrollup;
            DELETE FROM reports_doctormonthrollup;
            RETURN NULL;
        END; $$""",
    """CREATE TRIGGER reports_rollup_truncated AFTER TRUNCATE ON appointments_appointment FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_truncated()""",
]

# The appointments already stored (a deployment's data) roll up once, here.
BACKFILL = [
    """LOCK TABLE appointments_appointment IN SHARE MODE""",
    """WITH changes AS (SELECT *, 1 AS sign FROM appointments_appointment)
INSERT INTO reports_appointmentrollup AS r (
    clinic_id, bucket, status, payment_status,
    appointments, consultation_fees, transaction_fees, total_amounts)
SELECT clinic_id, date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status,
    SUM(sign), SUM(sign * consultation_fee), SUM(sign * transaction_fee),
    SUM(sign * total_amount)
FROM changes
GROUP BY GROUPING SETS (
    (clinic_id, date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status), (date_bin('15 minutes', start, TIMESTAMPTZ '2000-01-01 00:00:00+00'), status, payment_status))
HAVING SUM(sign) <> 0 OR SUM(sign * consultation_fee) <> 0
    OR SUM(sign * transaction_fee) <> 0 OR SUM(sign * total_amount) <> 0
ORDER BY 1 NULLS FIRST, 2, 3, 4
ON CONFLICT (clinic_id, bucket, status, payment_status) DO UPDATE SET
    appointments = r.appointments + EXCLUDED.appointments,
    consultation_fees = r.consultation_fees + EXCLUDED.consultation_fees,
    transaction_fees = r.transaction_fees + EXCLUDED.transaction_fees,
    total_amounts = r.total_amounts + EXCLUDED.total_amounts
RETURNING r.id, r.appointments""",
    """WITH changes AS (SELECT *, 1 AS sign FROM appointments_appointment)
INSERT INTO reports_doctordayrollup AS r (
    doctor_id, clinic_id, day, appointments, completed, no_shows)
SELECT doctor_id, clinic_id, (start AT TIME ZONE 'UTC')::date, SUM(sign),
    COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
    COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
FROM changes
GROUP BY doctor_id, clinic_id, (start AT TIME ZONE 'UTC')::date
HAVING SUM(sign) <> 0
    OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
    OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
ORDER BY 1, 2, 3
ON CONFLICT (doctor_id, clinic_id, day) DO UPDATE SET
    appointments = r.appointments + EXCLUDED.appointments,
    completed = r.completed + EXCLUDED.completed,
    no_shows = r.no_shows + EXCLUDED.no_shows
RETURNING r.id, r.appointments""",
    """WITH changes AS (SELECT *, 1 AS sign FROM appointments_appointment)
INSERT INTO reports_doctormonthrollup AS r (
    doctor_id, clinic_id, month, appointments, completed, no_shows)
SELECT doctor_id, clinic_id, date_trunc('month', start AT TIME ZONE 'UTC')::date, SUM(sign),
    COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0),
    COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0)
FROM changes
GROUP BY doctor_id, clinic_id, date_trunc('month', start AT TIME ZONE 'UTC')::date
HAVING SUM(sign) <> 0
    OR COALESCE(SUM(sign) FILTER (WHERE status = 'completed'), 0) <> 0
    OR COALESCE(SUM(sign) FILTER (WHERE status = 'no_show'), 0) <> 0
ORDER BY 1, 2, 3
ON CONFLICT (doctor_id, clinic_id, month) DO UPDATE SET
    appointments = r.appointments + EXCLUDED.appointments,
    completed = r.completed + EXCLUDED.completed,
    no_shows = r.no_shows + EXCLUDED.no_shows
RETURNING r.id, r.appointments""",
]

DROP = [
    """DROP TRIGGER IF EXISTS reports_rollup_inserted ON appointments_appointment""",
    """DROP FUNCTION IF EXISTS reports_rollup_inserted()""",
    """DROP TRIGGER IF EXISTS reports_rollup_updated ON appointments_appointment""",
    """DROP FUNCTION IF EXISTS reports_rollup_updated()""",
    """DROP TRIGGER IF EXISTS reports_rollup_deleted ON appointments_appointment""",
    """DROP FUNCTION IF EXISTS reports_rollup_deleted()""",
    """DROP TRIGGER IF EXISTS reports_rollup_truncated ON appointments_appointment""",
    """DROP FUNCTION IF EXISTS reports_rollup_truncated()""",
]


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in [*CREATE, *BACKFILL]:
            schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("appointments", "0009_times_storable"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]

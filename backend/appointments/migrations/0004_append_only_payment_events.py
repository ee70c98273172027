from django.db import migrations


# Frozen SQL (a migration is history and imports no live code): on PostgreSQL the table
# refuses UPDATE and DELETE in the database itself; elsewhere the model layer refuses them
# (common/append_only.py). TRUNCATE stays possible: the test runner empties tables with it.
FORBID_UPDATE_AND_DELETE = [
    'CREATE FUNCTION "appointments_paymentevent_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
    "RAISE EXCEPTION USING MESSAGE = TG_OP || ' on ' || TG_TABLE_NAME "
    "|| ' is refused: the table is append-only', ERRCODE = 'restrict_violation'; END; $$",
    'CREATE TRIGGER "appointments_paymentevent_append_only" BEFORE UPDATE OR DELETE ON "appointments_paymentevent" '
    'FOR EACH ROW EXECUTE FUNCTION "appointments_paymentevent_append_only"()',
]
ALLOW_UPDATE_AND_DELETE = [
    'DROP TRIGGER IF EXISTS "appointments_paymentevent_append_only" ON "appointments_paymentevent"',
    'DROP FUNCTION IF EXISTS "appointments_paymentevent_append_only"()',
]


def on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("appointments", "0003_appointment_points_used_and_more")]

    operations = [
        migrations.RunPython(on_postgresql(FORBID_UPDATE_AND_DELETE), on_postgresql(ALLOW_UPDATE_AND_DELETE)),
    ]

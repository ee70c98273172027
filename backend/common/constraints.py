"""Database constraints that only PostgreSQL can express."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import DateTimeField, Func


class TsTzRange(Func):
    """`tstzrange(start, end)`: a half-open time range, for overlap exclusion constraints."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL, skipped on other databases (the embedded SQLite
    of `make run`), where the services' own checks under a lock are what enforce the rule."""

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class MinutesLater(Func):
    """`careslot_minutes_later(instant, minutes)`: the instant shifted by whole minutes.

    PostgreSQL's `timestamptz + interval` is only STABLE (an interval of days or months depends
    on the session's time zone), which an index or constraint may not use; a shift by minutes
    does not, so the SQL function (created by appointments' migration 0011) is IMMUTABLE."""

    function = "careslot_minutes_later"
    output_field = DateTimeField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # The embedded SQLite of `make run`: Django's own datetime arithmetic there, on
        # durations in microseconds.
        return self.as_sql(
            compiler,
            connection,
            template="django_format_dtdelta('+', %(expressions)s)",
            arg_joiner=", 60000000 * ",
            **extra_context,
        )

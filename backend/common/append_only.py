"""Append-only tables: rows are inserted, never updated or deleted.

The model layer refuses changes (`save()` of a stored row, `delete()`, queryset `update()` and
`delete()`); on PostgreSQL a trigger added by the `ForbidUpdateAndDelete` migration operation
refuses them in the database too, whatever path the SQL takes.
"""

from django.db import models
from django.db.migrations.operations.base import Operation

from .models import UUIDModel


class AppendOnlyError(Exception):
    """Code tried to change or remove a row of an append-only table (a bug, never a 4xx)."""


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset whose bulk writes other than inserts are refused."""

    def _refuse(self, what: str):
        raise AppendOnlyError(f"{self.model.__name__} is append-only: {what} is refused.")

    def update(self, **kwargs):
        self._refuse("update()")

    def bulk_update(self, objs, fields, batch_size=None):
        self._refuse("bulk_update()")

    def delete(self):
        self._refuse("delete()")


class AppendOnlyModel(UUIDModel):
    """A UUID model with `created_at` whose stored rows never change."""

    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(
                f"{type(self).__name__} is append-only: a stored row is never changed."
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} is append-only: rows are never deleted.")


class ForbidUpdateAndDelete(Operation):
    """Migration operation: on PostgreSQL, a trigger that rejects every UPDATE and DELETE on
    the model's table. Other databases (the embedded SQLite of `make run`) skip it and rely on
    the model layer. TRUNCATE stays possible: the test runner empties tables with it."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"model_name": self.model_name})

    def state_forwards(self, app_label, state) -> None:
        pass

    def _names(self, app_label, schema_editor, state) -> tuple[str, str]:
        table = state.apps.get_model(app_label, self.model_name)._meta.db_table
        quote = schema_editor.quote_name
        return quote(table), quote(f"{table}_append_only")

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table, name = self._names(app_label, schema_editor, to_state)
        # Concatenation rather than RAISE's `%` placeholders keeps the SQL free of `%`.
        schema_editor.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION USING MESSAGE = TG_OP || ' on ' || TG_TABLE_NAME "
            "|| ' is refused: the table is append-only', ERRCODE = 'restrict_violation'; "
            "END; $$",
            params=None,
        )
        schema_editor.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
            params=None,
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table, name = self._names(app_label, schema_editor, from_state)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}", params=None)
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()", params=None)

    def describe(self) -> str:
        return f"Forbid UPDATE and DELETE on {self.model_name} (PostgreSQL trigger)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_append_only"

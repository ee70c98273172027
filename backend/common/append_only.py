"""Append-only tables: rows are inserted, never updated or deleted.

The model layer refuses changes (`save()` of a stored row, `delete()`, queryset `update()` and
`delete()`); on PostgreSQL a trigger refuses them in the database too, whatever path the SQL
takes. The trigger comes from a migration that holds its SQL whole (for example
loyalty/migrations/0002_append_only_ledger.py): a new append-only table gets one like it.
"""

from django.db import models

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

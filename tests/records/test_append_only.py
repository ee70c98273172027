"""History entries and access-log rows are never updated or deleted: the model layer refuses,
and on PostgreSQL a trigger refuses whatever path the SQL takes. (The API has no such path at
all: PUT/PATCH/DELETE are 405 in the authorization table.)"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from common.append_only import AppendOnlyError
from records.models import PatientHistoryEntry, RecordAccessLog
from tests.factories import HistoryEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry() -> PatientHistoryEntry:
    return HistoryEntryFactory(title="Original")


@pytest.fixture
def log_row(entry, access_log) -> RecordAccessLog:
    row = RecordAccessLog.objects.create(
        user=entry.author.user, patient=entry.patient, action="read", entry_ids=[str(entry.pk)]
    )
    assert access_log.new_rows() == [row]
    return row


@pytest.fixture(params=["entry", "log_row"])
def stored(request):
    return request.getfixturevalue(request.param)


def test_a_stored_row_cannot_be_saved_again(stored):
    stored.created_at = timezone.now()
    with pytest.raises(AppendOnlyError):
        stored.save()
    with pytest.raises(AppendOnlyError):
        stored.save(update_fields=["created_at"])


def test_a_stored_entry_keeps_its_content(entry):
    entry.title = "Changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    entry.refresh_from_db()
    assert entry.title == "Original"


def test_a_stored_row_cannot_be_deleted(stored):
    with pytest.raises(AppendOnlyError):
        stored.delete()
    assert type(stored).objects.filter(pk=stored.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda rows, row: rows.update(created_at=timezone.now()),
        lambda rows, row: rows.delete(),
        lambda rows, row: rows.bulk_update([row], ["created_at"]),
    ],
    ids=["update", "delete", "bulk_update"],
)
def test_querysets_refuse_bulk_changes(stored, change):
    with pytest.raises(AppendOnlyError):
        change(type(stored).objects.filter(pk=stored.pk), stored)
    with pytest.raises(AppendOnlyError):
        change(type(stored).objects.all(), stored)


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: rows.update(created_at=timezone.now()),
        lambda rows: rows.delete(),
    ],
    ids=["update", "delete"],
)
def test_postgresql_refuses_an_orm_update_or_delete(stored, change):
    """The plain base manager skips the model layer's guard: the database trigger stops it."""
    assert connection.vendor == "postgresql"
    rows = type(stored)._base_manager.filter(pk=stored.pk)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        change(rows)
    assert rows.get().created_at == stored.created_at


@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET created_at = now()", "DELETE FROM {table}"]
)
def test_postgresql_refuses_raw_sql(stored, statement):
    table = type(stored)._meta.db_table
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=connection.ops.quote_name(table)))
    assert type(stored).objects.filter(pk=stored.pk).exists()

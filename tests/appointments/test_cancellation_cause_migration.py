"""Migration 0010 moves the old "Account deactivated: " prefix out of the reason into the cause,
and back again on the way down, losing nothing."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from appointments.models import Appointment
from tests.factories import AppointmentFactory, in_hours

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("appointments", "0009_times_storable")
AFTER = ("appointments", "0010_cancellation_cause")


def migrate_to(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


@pytest.fixture(autouse=True)
def _back_to_the_latest_migrations():
    """Later migrations of the app (and their columns) are back for the tests that follow."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def set_old_columns(appointment, *, status: str, reason: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE appointments_appointment SET status = %s, cancellation_reason = %s, "
            "cancelled_at = now() WHERE id = %s",
            [status, reason, appointment.pk],
        )


def test_the_prefix_becomes_the_cause_and_comes_back_on_the_way_down():
    deactivated, requested, booked = (
        AppointmentFactory(slot__start=in_hours(h)) for h in (50, 51, 52)
    )
    migrate_to(BEFORE)
    try:
        set_old_columns(
            deactivated, status="cancelled", reason="Account deactivated: Licence revoked"
        )
        set_old_columns(requested, status="cancelled", reason="Feeling better")
    finally:
        migrate_to(AFTER)

    # Only the columns of 0010: a later migration's columns do not exist at this state.
    rows = {
        pk: (cause, reason)
        for pk, cause, reason in Appointment.objects.values_list(
            "pk", "cancellation_cause", "cancellation_reason"
        )
    }
    assert rows == {
        deactivated.pk: ("account_deactivated", "Licence revoked"),
        requested.pk: ("requested", "Feeling better"),
        booked.pk: ("", ""),
    }

    migrate_to(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT cancellation_reason FROM appointments_appointment WHERE id = %s",
                [deactivated.pk],
            )
            assert cursor.fetchone() == ("Account deactivated: Licence revoked",)
    finally:
        migrate_to(AFTER)

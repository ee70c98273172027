"""One provider event delivered for two appointments at once is processed once: the unique
provider event id decides, and the loser reports the event as not processed."""

import threading
import time

import pytest
from django.db import connection, transaction

from appointments.models import PaymentEvent
from appointments.payments import record_provider_payment
from tests.factories import booked_appointment

pytestmark = pytest.mark.django_db(transaction=True)


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # a fresh view inside the transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_the_second_delivery_waits_for_the_first_and_is_not_processed():
    first, second = booked_appointment(), booked_appointment()
    inserted, results = threading.Event(), {}

    def first_delivery():
        try:
            with transaction.atomic():
                results["first"] = record_provider_payment(
                    event_id="evt_race",
                    appointment=first,
                    amount=first.total_amount,
                    currency=first.currency,
                    reference="pi_1",
                )[1]
                inserted.set()
                # Commit only once the second delivery is blocked on our event row, so it has
                # passed its replay check and meets the unique index instead.
                deadline = time.monotonic() + 60
                while not _someone_waits_for_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.05)
        finally:
            inserted.set()
            connection.close()

    thread = threading.Thread(target=first_delivery)
    thread.start()
    assert inserted.wait(timeout=60)
    _, processed = record_provider_payment(
        event_id="evt_race",
        appointment=second,
        amount=second.total_amount,
        currency=second.currency,
        reference="pi_2",
    )
    thread.join(timeout=60)

    assert (results["first"], processed) == (True, False)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.payment_status, second.payment_status) == ("paid", "pending")
    assert list(PaymentEvent.objects.filter(provider_event_id="evt_race")) == list(
        PaymentEvent.objects.filter(appointment=first)
    )

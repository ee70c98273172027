"""The payment provider's webhook racing itself and the clinic's own payment record: real
threads, real PostgreSQL connections, the HTTP stack. One pending -> paid change, one event row,
and a repeated delivery is acknowledged (200, not processed) as it is one after the other."""

import json
import time
from collections import Counter

import pytest

from appointments.models import PaymentEvent
from appointments.payments import sign_webhook
from appointments.services import book_appointment
from tests.concurrency.race import Status, error_codes, post_as, run_together
from tests.conftest import CheckedAPIClient
from tests.factories import (
    AssociationFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    clinic_admin_of,
    in_hours,
)

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK_URL = "/api/v1/payments/webhook/"
SECRET = "whsec-race-0123456789"
ROUNDS = 3


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


def deliver(appointment, event_id: str):
    """A call for run_together: the provider delivers `event_id` paying `appointment`."""
    raw = json.dumps(
        {
            "id": event_id,
            "type": "payment.succeeded",
            "data": {
                "appointment_id": str(appointment.pk),
                "amount": str(appointment.total_amount),
                "currency": appointment.currency,
                "reference": f"pi_{event_id}",
            },
        }
    ).encode()

    def call():
        signature = sign_webhook(body=raw, timestamp=int(time.time()), secret=SECRET)
        response = CheckedAPIClient().generic(
            "POST",
            WEBHOOK_URL,
            raw,
            content_type="application/json",
            HTTP_CARESLOT_SIGNATURE=signature,
        )
        body = response.json()
        if response.status_code >= 400:
            return Status(response.status_code, body["errors"][0]["code"])
        return Status(response.status_code, None), body["processed"]

    return call


def booked_appointments(count: int):
    doctor = DoctorFactory()
    clinic = AssociationFactory(doctor=doctor).clinic
    return clinic, [
        book_appointment(
            patient=PatientFactory(),
            slot_id=SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(72 + i)).pk,
        ).appointment
        for i in range(count)
    ]


def paid_events(appointment) -> list[tuple[str, str]]:
    events = PaymentEvent.objects.filter(appointment=appointment).order_by("created_at")
    return list(events.values_list("from_status", "to_status"))


def test_one_event_delivered_five_times_at_once_is_processed_once():
    _, appointments = booked_appointments(ROUNDS)
    for round_number, appointment in enumerate(appointments):
        results = run_together([deliver(appointment, f"evt_{round_number}") for _ in range(5)])
        assert Counter(results) == {(200, True): 1, (200, False): 4}, results
        assert paid_events(appointment) == [("pending", "paid")]
        assert PaymentEvent.objects.filter(provider_event_id=f"evt_{round_number}").count() == 1


def test_the_webhook_racing_the_clinics_payment_record_pays_once():
    clinic, appointments = booked_appointments(ROUNDS * 2)
    admin = clinic_admin_of(clinic)
    winners = Counter()
    for round_number, appointment in enumerate(appointments):
        staff = post_as(
            admin,
            f"/api/v1/appointments/{appointment.pk}/payment/",
            {"payment_status": "paid", "reference": "cash"},
        )
        provider, recorded = run_together([deliver(appointment, f"evt_s{round_number}"), staff])
        provider_status = provider[0] if isinstance(provider, tuple) else provider
        # Whichever came second finds it paid: a conflict, as one after the other.
        assert sorted([provider_status, recorded]) == [200, 409], (provider, recorded)
        assert error_codes([provider_status, recorded]) == {"invalid_payment_transition"}
        assert paid_events(appointment) == [("pending", "paid")]
        source = PaymentEvent.objects.get(appointment=appointment).source
        assert source == ("provider" if provider_status == 200 else "staff")
        winners[source] += 1
    print(winners)

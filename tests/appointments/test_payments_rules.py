"""Edges of the payment rules (appointments/payments.py) that `make mutate` showed no other test
pinned: how the signature header is read, and which earlier events count as a replay."""

import json
import time

import pytest
import time_machine

from appointments.models import PaymentEvent
from appointments.payments import sign_webhook
from tests.errors import assert_error
from tests.factories import booked_appointment, clinic_admin_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhook/"
SECRET = "whsec-rules-0123456789"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


def body_for(appointment, event_id="evt_rules") -> bytes:
    payload = {
        "id": event_id,
        "type": "payment.succeeded",
        "data": {
            "appointment_id": str(appointment.pk),
            "amount": str(appointment.total_amount),
            "currency": appointment.currency,
            "reference": "pi_rules",
        },
    }
    return json.dumps(payload).encode()


def post(api_client, body: bytes, header: str):
    return api_client.generic(
        "POST", URL, body, content_type="application/json", HTTP_CARESLOT_SIGNATURE=header
    )


def test_an_unknown_header_field_with_an_equals_sign_in_its_value_is_ignored(api_client):
    appointment = booked_appointment()
    body = body_for(appointment)
    header = sign_webhook(body=body, timestamp=int(time.time()), secret=SECRET) + ",v0=a=b"
    response = post(api_client, body, header)
    assert response.status_code == 200, response.content
    assert response.json()["processed"] is True
    appointment.refresh_from_db()
    assert appointment.payment_status == "paid"


def test_a_second_malformed_timestamp_field_makes_the_header_invalid(api_client):
    # The last `t=` counts; a header that also carries a junk one is not the provider's.
    appointment = booked_appointment()
    body = body_for(appointment)
    header = sign_webhook(body=body, timestamp=int(time.time()), secret=SECRET) + ",t=1=2"
    assert_error(post(api_client, body, header), 401, "invalid_signature")
    appointment.refresh_from_db()
    assert appointment.payment_status == "pending"
    assert not PaymentEvent.objects.filter(appointment=appointment).exists()


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_timestamp_just_outside_the_tolerance_either_way_is_stale(api_client, settings, offset):
    appointment = booked_appointment()
    body = body_for(appointment)
    too_far = settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS + 5
    stamp = int(time.time()) + offset * too_far
    response = post(api_client, body, sign_webhook(body=body, timestamp=stamp, secret=SECRET))
    assert_error(response, 401, "stale_timestamp")
    appointment.refresh_from_db()
    assert appointment.payment_status == "pending"


def test_a_timestamp_inside_the_tolerance_is_accepted(api_client, settings):
    appointment = booked_appointment()
    body = body_for(appointment)
    stamp = int(time.time()) - settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS + 5
    response = post(api_client, body, sign_webhook(body=body, timestamp=stamp, secret=SECRET))
    assert response.status_code == 200, response.content


def test_payment_events_without_a_provider_id_are_not_a_replay(api_client, client_for):
    # A clinic's manual payment logs an event with no provider id; a provider event for
    # another appointment is still new.
    manual = booked_appointment()
    admin = clinic_admin_of(manual.clinic)
    recorded = client_for(admin).post(
        f"/api/v1/appointments/{manual.pk}/payment/",
        {"payment_status": "paid", "reference": "receipt-1"},
    )
    assert recorded.status_code == 200, recorded.content
    assert PaymentEvent.objects.filter(provider_event_id=None).exists()

    appointment = booked_appointment()
    body = body_for(appointment, event_id="evt_new")
    response = post(
        api_client, body, sign_webhook(body=body, timestamp=int(time.time()), secret=SECRET)
    )
    assert response.status_code == 200, response.content
    assert response.json()["processed"] is True
    event = PaymentEvent.objects.get(appointment=appointment)
    assert (event.provider_event_id, event.from_status, event.to_status) == (
        "evt_new",
        "pending",
        "paid",
    )
    assert (event.amount, event.currency, event.source) == (
        appointment.total_amount,
        appointment.currency,
        "provider",
    )


@pytest.mark.parametrize(
    ("timestamp", "code"),
    [
        # Up to 12 digits is a timestamp (a stale one here); 13 is not one at all.
        (10**11, "stale_timestamp"),
        (10**12, "invalid_signature"),
    ],
)
def test_a_timestamp_has_at_most_twelve_digits(api_client, timestamp, code):
    appointment = booked_appointment()
    body = body_for(appointment)
    response = post(api_client, body, sign_webhook(body=body, timestamp=timestamp, secret=SECRET))
    assert_error(response, 401, code)


def test_a_timestamp_exactly_at_the_tolerance_is_still_accepted(api_client, settings):
    appointment = booked_appointment()
    body = body_for(appointment)
    now = int(time.time())
    stamp = now - settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS
    with time_machine.travel(now, tick=False):
        response = post(api_client, body, sign_webhook(body=body, timestamp=stamp, secret=SECRET))
    assert response.status_code == 200, response.content


def test_a_refused_transition_says_which_one(client_for):
    appointment = booked_appointment()
    client = client_for(clinic_admin_of(appointment.clinic))
    path = f"/api/v1/appointments/{appointment.pk}/payment/"
    response = client.post(path, {"payment_status": "refunded", "reference": "r"})
    assert_error(response, 409, "invalid_payment_transition")
    assert response.json()["errors"][0]["detail"] == "A payment cannot go from pending to refunded."


def test_the_event_logs_the_appointments_own_amount_and_currency(client_for, settings):
    settings.CURRENCY = "CHF"
    appointment = booked_appointment()
    settings.CURRENCY = "EUR"  # what the appointment was booked in is what the event logs
    admin = clinic_admin_of(appointment.clinic)
    response = client_for(admin).post(
        f"/api/v1/appointments/{appointment.pk}/payment/",
        {"payment_status": "paid", "reference": "receipt-7"},
    )
    assert response.status_code == 200, response.content
    event = PaymentEvent.objects.get(appointment=appointment)
    assert (event.amount, event.currency, event.reference, event.actor_id, event.source) == (
        appointment.total_amount,
        "CHF",
        "receipt-7",
        admin.pk,
        "staff",
    )

import json
import time

import pytest

from appointments.models import PaymentEvent
from appointments.payments import sign_webhook
from tests.errors import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhook/"
SECRET = "whsec-test-0123456789"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


def event(appointment, event_id="evt_1", amount=None, currency="EUR"):
    return {
        "id": event_id,
        "type": "payment.succeeded",
        "data": {
            "appointment_id": str(appointment.pk),
            "amount": str(amount or appointment.total_amount),
            "currency": currency,
            "reference": "pi_123",
        },
    }


def deliver(api_client, payload, *, timestamp=None, secret=SECRET, body=None):
    raw = body if body is not None else json.dumps(payload).encode()
    signature = sign_webhook(body=raw, timestamp=timestamp or int(time.time()), secret=secret)
    return api_client.generic(
        "POST", URL, raw, content_type="application/json", HTTP_CARESLOT_SIGNATURE=signature
    )


def test_signed_event_marks_the_appointment_paid(api_client, booked):
    response = deliver(api_client, event(booked))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "event_id": "evt_1",
        "processed": True,
        "appointment": str(booked.pk),
        "payment_status": "paid",
    }
    payment = PaymentEvent.objects.get(appointment=booked)
    assert (payment.source, payment.reference, payment.actor) == ("provider", "pi_123", None)


def test_replayed_event_changes_nothing(api_client, booked):
    deliver(api_client, event(booked))
    again = deliver(api_client, event(booked))
    assert again.status_code == 200
    assert again.json()["processed"] is False
    assert PaymentEvent.objects.filter(appointment=booked).count() == 1


def test_bad_signature_is_refused(api_client, booked):
    assert_error(deliver(api_client, event(booked), secret="wrong"), 401, "invalid_signature")
    response = api_client.post(URL, event(booked), format="json")
    assert_error(response, 401, "invalid_signature")
    booked.refresh_from_db()
    assert booked.payment_status == "pending"


def test_tampered_body_is_refused(api_client, booked):
    raw = json.dumps(event(booked)).encode()
    signature = sign_webhook(body=raw, timestamp=int(time.time()), secret=SECRET)
    tampered = raw.replace(b"pi_123", b"pi_999")
    response = api_client.generic(
        "POST", URL, tampered, content_type="application/json", HTTP_CARESLOT_SIGNATURE=signature
    )
    assert_error(response, 401, "invalid_signature")


def test_stale_timestamp_is_refused(api_client, booked):
    stale = int(time.time()) - 301
    assert_error(deliver(api_client, event(booked), timestamp=stale), 401, "stale_timestamp")


def test_amount_or_currency_mismatch_is_refused(api_client, booked):
    assert_error(deliver(api_client, event(booked, amount="1.00")), 409, "amount_mismatch")
    assert_error(
        deliver(api_client, event(booked, event_id="evt_2", currency="USD")), 409, "amount_mismatch"
    )


def test_unknown_appointment_and_bad_payloads(api_client, booked):
    payload = event(booked)
    payload["data"]["appointment_id"] = "9b2a3c1e-0000-4000-8000-000000000000"
    assert_error(deliver(api_client, payload), 404, "unknown_appointment")
    assert_error(
        deliver(api_client, {"id": "evt_x", "type": "other"}), 400, "invalid_choice", attr="type"
    )
    assert_error(deliver(api_client, None, body=b"{not json"), 400, "parse_error")


def test_paid_twice_by_different_events_is_a_conflict(api_client, booked):
    deliver(api_client, event(booked))
    assert_error(
        deliver(api_client, event(booked, event_id="evt_2")), 409, "invalid_payment_transition"
    )


def test_webhook_is_off_without_a_secret(api_client, booked, settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    api_client.raise_request_exception = False  # a 503 is reported like any server error
    assert_error(deliver(api_client, event(booked)), 503, "webhook_not_configured")
    booked.refresh_from_db()
    assert booked.payment_status == "pending"


@pytest.mark.parametrize(
    "header",
    [
        # A timestamp no float can hold, correctly signed: the age check overflowed (500).
        lambda body: sign_webhook(body=body, timestamp=10**400, secret=SECRET),
        # int() reads these, a Unix time is ASCII digits only
        lambda body: sign_webhook(body=body, timestamp=int(time.time()), secret=SECRET).replace(
            "t=", "t=+"
        ),
        lambda body: "t=\u0661\u0667" + "\u0660" * 8 + ",v1=00",
        lambda body: "t=1_700_000_000,v1=00",
        # compare_digest raised TypeError on non-ASCII text (500)
        lambda body: f"t={int(time.time())},v1=\u00e9\u00e9",
        lambda body: f"t={int(time.time())},v1=",
        lambda body: "t=,v1=00",
        lambda body: "\x00",
    ],
    ids=[
        "huge-t",
        "plus-t",
        "arabic-digits",
        "underscores",
        "non-ascii-v1",
        "empty-v1",
        "empty-t",
        "nul",
    ],
)
def test_malformed_signature_headers_are_401s(api_client, booked, header):
    raw = json.dumps(event(booked)).encode()
    response = api_client.generic(
        "POST", URL, raw, content_type="application/json", HTTP_CARESLOT_SIGNATURE=header(raw)
    )
    assert_error(response, 401, "invalid_signature")
    booked.refresh_from_db()
    assert booked.payment_status == "pending"

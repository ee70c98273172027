"""Payment, points and webhook endpoints x roles -> status (docs/rules.md, "Who may do what")."""

import pytest

from tests.authz import Endpoint, cases, check, expect

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"
NOT_PATIENTS = {
    "doctor": 403,
    "other_doctor": 403,
    "unconfirmed_doctor": 403,
    "clinic_admin": 403,
    "other_clinic_admin": 403,
}

ENDPOINTS = [
    Endpoint(
        "payment-read",
        "GET",
        lambda w: f"{V1}/appointments/{w.appointment.pk}/payment/",
        expect(404, patient=200, doctor=200, clinic_admin=200, platform_admin=200),
    ),
    Endpoint(
        "payment-record",
        "POST",
        lambda w: f"{V1}/appointments/{w.appointment.pk}/payment/",
        expect(404, patient=403, doctor=403, clinic_admin=200, platform_admin=200),
        body=lambda w: {"payment_status": "paid", "reference": "cash-1"},
    ),
    Endpoint(
        "points-ledger",
        "GET",
        lambda w: f"{V1}/points/",
        expect(200, **NOT_PATIENTS),
    ),
    Endpoint(
        "points-balance",
        "GET",
        lambda w: f"{V1}/points/balance/",
        expect(403, patient=200, other_patient=200),
    ),
    Endpoint(
        "points-adjust",
        "POST",
        lambda w: f"{V1}/points/adjustments/",
        expect(403, platform_admin=201),
        body=lambda w: {"patient": str(w.patient.pk), "amount": 5, "reason": "goodwill"},
    ),
    Endpoint(
        "payment-webhook-unsigned",
        "POST",
        lambda w: f"{V1}/payments/webhook/",
        expect(401),
        body=lambda w: {"id": "evt", "type": "payment.succeeded", "data": {}},
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_money_and_points_authorization(client_for, world, endpoint, role, settings):
    settings.PAYMENT_WEBHOOK_SECRET = "configured"
    check(client_for, world, endpoint, role)

from datetime import timedelta

import pytest
import time_machine

from appointments.models import PaymentEvent
from tests.errors import assert_error
from tests.factories import clinic_admin_of, user_with_role

pytestmark = pytest.mark.django_db


def url(appointment):
    return f"/api/v1/appointments/{appointment.pk}/payment/"


def test_clinic_admin_records_payment_then_refund_and_each_change_is_logged(client_for, booked):
    admin = clinic_admin_of(booked.clinic)
    client = client_for(admin)
    paid = client.post(url(booked), {"payment_status": "paid", "reference": "receipt-1"})
    assert paid.status_code == 200, paid.content
    assert paid.json()["payment_status"] == "paid"
    refunded = client.post(url(booked), {"payment_status": "refunded", "reference": "refund-1"})
    assert refunded.json()["payment_status"] == "refunded"
    events = refunded.json()["events"]
    assert [(e["from_status"], e["to_status"], e["reference"]) for e in events] == [
        ("pending", "paid", "receipt-1"),
        ("paid", "refunded", "refund-1"),
    ]
    assert all(e["amount"] == str(booked.total_amount) for e in events)
    assert PaymentEvent.objects.filter(appointment=booked, actor=admin).count() == 2


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ([], "refunded"),  # pending -> refunded
        (["paid"], "paid"),  # paid -> paid
        (["paid", "refunded"], "paid"),  # refunded -> paid
        (["paid", "refunded"], "refunded"),
    ],
)
def test_disallowed_payment_transitions(client_for, booked, steps, refused):
    client = client_for(user_with_role("platform_admin"))
    for step in steps:
        assert (
            client.post(url(booked), {"payment_status": step, "reference": "r"}).status_code == 200
        )
    response = client.post(url(booked), {"payment_status": refused, "reference": "r"})
    assert_error(response, 409, "invalid_payment_transition")
    assert PaymentEvent.objects.filter(appointment=booked).count() == len(steps)


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"payment_status": "waived", "reference": "r"}, "payment_status", "invalid_choice"),
        ({"payment_status": "paid"}, "reference", "required"),
        ({"payment_status": "paid", "reference": ""}, "reference", "blank"),
    ],
)
def test_bad_payment_input(client_for, booked, body, attr, code):
    response = client_for(user_with_role("platform_admin")).post(url(booked), body)
    assert_error(response, 400, code, attr=attr)


def test_patient_and_doctor_read_the_payment_state_but_cannot_change_it(client_for, booked):
    for user in (booked.patient.user, booked.doctor.user):
        client = client_for(user)
        assert client.get(url(booked)).json()["payment_status"] == "pending"
        response = client.post(url(booked), {"payment_status": "paid", "reference": "r"})
        assert_error(response, 403, "permission_denied")


def test_doctor_cancelling_a_paid_appointment_refunds_it(client_for, booked):
    client_for(user_with_role("platform_admin")).post(
        url(booked), {"payment_status": "paid", "reference": "r"}
    )
    with time_machine.travel(booked.start - timedelta(hours=2), tick=False):
        response = client_for(booked.doctor.user).post(f"/api/v1/appointments/{booked.pk}/cancel/")
    assert response.json()["payment_status"] == "refunded"
    assert PaymentEvent.objects.filter(appointment=booked, to_status="refunded").count() == 1


def test_patient_cancelling_a_paid_appointment_leaves_the_refund_to_the_clinic(client_for, booked):
    client_for(user_with_role("platform_admin")).post(
        url(booked), {"payment_status": "paid", "reference": "r"}
    )
    response = client_for(booked.patient.user).post(f"/api/v1/appointments/{booked.pk}/cancel/")
    assert response.json()["payment_status"] == "paid"


def test_payment_events_are_append_only(booked):
    from common.append_only import AppendOnlyError

    event = PaymentEvent.objects.create(
        appointment=booked,
        from_status="pending",
        to_status="paid",
        amount=1,
        currency="EUR",
        source="staff",
    )
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        PaymentEvent.objects.filter(pk=event.pk).update(reference="x")

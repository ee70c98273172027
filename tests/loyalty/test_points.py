from datetime import timedelta

import pytest
import time_machine

from appointments.models import PaymentEvent
from appointments.services import book_appointment, record_outcome
from common.append_only import AppendOnlyError
from loyalty.models import PointsKind, PointsTransaction
from loyalty.selectors import balance_of, ledger_sum
from loyalty.services import adjust_points
from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import PatientFactory, SlotFactory, in_hours, user_with_role

pytestmark = pytest.mark.django_db

BOOK = "/api/v1/appointments/"


@pytest.fixture
def patient():
    patient = PatientFactory()
    adjust_points(
        patient=patient, amount=100, reason="welcome", actor=user_with_role("platform_admin")
    )
    return patient


def assert_consistent(patient, balance):
    assert balance_of(patient) == balance
    assert ledger_sum(patient) == balance


def test_booking_with_points_waives_the_payment(client_for, patient):
    slot = SlotFactory()
    response = client_for(patient.user).post(BOOK, {"slot": str(slot.pk), "use_points": True})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["payment_status"], body["points_used"]) == ("waived", 100)
    assert body["total_amount"] == "82.90"  # the fees stay recorded, covered by points
    assert_consistent(patient, 0)
    redemption = PointsTransaction.objects.get(patient=patient, kind=PointsKind.REDEEMED)
    assert (redemption.amount, str(redemption.appointment_id)) == (-100, body["id"])
    assert redemption.actor == patient.user
    event = PaymentEvent.objects.get(appointment_id=body["id"])
    assert (event.actor, event.reference, event.source) == (patient.user, "points:100", "points")
    payment = client_for(patient.user).get(f"{BOOK}{body['id']}/payment/").json()
    assert [(e["from_status"], e["to_status"], e["source"]) for e in payment["events"]] == [
        ("pending", "waived", "points")
    ]


def test_not_enough_points_books_nothing(client_for):
    patient = PatientFactory()
    slot = SlotFactory()
    response = client_for(patient.user).post(BOOK, {"slot": str(slot.pk), "use_points": True})
    assert_error(response, 409, "insufficient_points")
    assert Slot.objects.get(pk=slot.pk).status == "available"
    assert not patient.appointments.exists()
    assert_consistent(patient, 0)


def test_cancelling_a_points_booking_refunds_the_points_once(client_for, patient):
    slot = SlotFactory()
    appointment = (
        client_for(patient.user).post(BOOK, {"slot": str(slot.pk), "use_points": True}).json()
    )
    assert client_for(patient.user).post(f"{BOOK}{appointment['id']}/cancel/").status_code == 200
    assert_consistent(patient, 100)
    refund = PointsTransaction.objects.get(patient=patient, kind=PointsKind.REFUNDED)
    assert (refund.amount, refund.actor) == (100, patient.user)


def test_completion_awards_points_once(client_for):
    patient = PatientFactory()
    appointment = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(30)).pk
    ).appointment
    client = client_for(appointment.doctor.user)
    with time_machine.travel(appointment.start + timedelta(minutes=40), tick=False):
        assert client.post(f"{BOOK}{appointment.pk}/complete/").status_code == 200
        assert_error(client.post(f"{BOOK}{appointment.pk}/complete/"), 409, "invalid_transition")
    assert_consistent(patient, 10)
    assert PointsTransaction.objects.filter(appointment=appointment, kind="earned").count() == 1


def test_no_show_earns_nothing():
    patient = PatientFactory()
    appointment = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(30)).pk
    ).appointment
    with time_machine.travel(appointment.start + timedelta(minutes=40), tick=False):
        record_outcome(appointment=appointment, status="no_show")
    assert_consistent(patient, 0)


def test_patient_reads_balance_and_ledger(client_for, patient):
    admin = user_with_role("platform_admin")
    for index in range(49):
        adjust_points(patient=patient, amount=1, reason=f"bonus {index}", actor=admin)
    client = client_for(patient.user)
    assert client.get("/api/v1/points/balance/").json()["balance"] == 149
    response = client.get("/api/v1/points/?page_size=50")
    assert response.json()["count"] == 50
    assert response.json()["results"][0]["reason"] == "bonus 48"
    assert client_for(PatientFactory().user).get("/api/v1/points/").json()["count"] == 0


def test_platform_admin_adjusts_with_a_reason(client_for, patient):
    admin = client_for(user_with_role("platform_admin"))
    response = admin.post(
        "/api/v1/points/adjustments/",
        {"patient": str(patient.pk), "amount": -40, "reason": "fraud"},
    )
    assert response.status_code == 201, response.content
    assert_consistent(patient, 60)
    too_much = admin.post(
        "/api/v1/points/adjustments/", {"patient": str(patient.pk), "amount": -61, "reason": "x"}
    )
    assert_error(too_much, 409, "insufficient_points")
    assert_consistent(patient, 60)


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"amount": 0, "reason": "x"}, "amount", "zero_amount"),
        ({"amount": 5}, "reason", "required"),
        ({"amount": "lots", "reason": "x"}, "amount", "invalid"),
        ({"amount": 5, "reason": "x", "patient": "nope"}, "patient", "invalid"),
    ],
)
def test_bad_adjustments(client_for, patient, body, attr, code):
    payload = {"patient": str(patient.pk), **body}
    response = client_for(user_with_role("platform_admin")).post(
        "/api/v1/points/adjustments/", payload
    )
    assert_error(response, 400, code, attr=attr)


def test_ledger_rows_are_append_only_in_the_model_and_the_database(patient):
    from django.db import DatabaseError, connection, transaction

    entry = PointsTransaction.objects.first()
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        PointsTransaction.objects.all().update(amount=1_000_000)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE loyalty_pointstransaction SET amount = 1000000")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM loyalty_pointstransaction")
    assert_consistent(patient, 100)

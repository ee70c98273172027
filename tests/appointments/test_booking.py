from decimal import Decimal

import pytest

from appointments.models import Appointment
from patients.permissions import patients_treated_by
from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import (
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    UserRoleFactory,
    in_hours,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


@pytest.fixture
def patient():
    return PatientFactory()


def test_booking_creates_the_appointment_marks_the_slot_and_emails_an_ics(
    client_for, patient, outbox, run_tasks
):
    slot = SlotFactory(doctor=DoctorFactory(consultation_fee=Decimal("100.00")))
    response = client_for(patient.user).post(URL, {"slot": str(slot.pk), "notes": "Back pain"})
    assert response.status_code == 201, response.content
    assert run_tasks() == 1  # the confirmation; the reminders wait for their time
    body = response.json()
    assert (body["status"], body["notes"]) == ("booked", "Back pain")
    assert Appointment.objects.get(pk=body["id"]).notes == "Back pain"
    assert (body["consultation_fee"], body["transaction_fee"], body["total_amount"]) == (
        "100.00",
        "3.50",
        "103.50",
    )
    assert (body["currency"], body["payment_status"]) == ("EUR", "pending")
    assert body["start"] == slot.start.isoformat().replace("+00:00", "Z")
    slot.refresh_from_db()
    assert slot.status == "booked"
    assert patient in patients_treated_by(slot.doctor.user)

    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == [patient.user.email]
    filename, content, mimetype = message.attachments[0]
    assert (filename, mimetype) == ("appointment.ics", "text/calendar")
    assert "TZID=Europe/Berlin" in content
    assert slot.clinic.address in content
    assert "Europe/Berlin" in message.body


def test_booked_or_blocked_slot_is_unavailable(client_for, patient):
    for status in ("booked", "blocked"):
        slot = SlotFactory(status=status)
        assert_error(
            client_for(patient.user).post(URL, {"slot": str(slot.pk)}), 409, "slot_unavailable"
        )


def test_past_slot_cannot_be_booked(client_for, patient):
    slot = SlotFactory(start=in_hours(-1), end=in_hours(-0.5))
    assert_error(client_for(patient.user).post(URL, {"slot": str(slot.pk)}), 409, "slot_in_past")


def test_overlapping_booking_for_one_patient_is_refused(client_for, patient):
    first = SlotFactory(start=in_hours(30))
    second = SlotFactory(start=first.start + (first.end - first.start) / 2)
    client = client_for(patient.user)
    assert client.post(URL, {"slot": str(first.pk)}).status_code == 201
    assert_error(client.post(URL, {"slot": str(second.pk)}), 409, "patient_overlap")
    assert Slot.objects.get(pk=second.pk).status == "available"


def test_cancelled_slot_can_be_booked_by_someone_else(client_for, patient):
    slot = SlotFactory()
    first = client_for(patient.user).post(URL, {"slot": str(slot.pk)}).json()
    assert client_for(patient.user).post(f"{URL}{first['id']}/cancel/").status_code == 200
    other = PatientFactory()
    response = client_for(other.user).post(URL, {"slot": str(slot.pk)})
    assert response.status_code == 201, response.content
    assert Appointment.objects.filter(slot=slot).count() == 2


def test_idempotent_retry_returns_the_first_booking(client_for, patient):
    slot = SlotFactory()
    client = client_for(patient.user)
    client.credentials(HTTP_IDEMPOTENCY_KEY="key-1")
    first = client.post(URL, {"slot": str(slot.pk), "notes": "hi"})
    again = client.post(URL, {"slot": str(slot.pk), "notes": "hi"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Appointment.objects.count() == 1
    changed = client.post(URL, {"slot": str(slot.pk), "notes": "different"})
    assert_error(changed, 422, "idempotency_key_reused")


def test_same_key_for_another_patient_is_independent(client_for):
    slot_a, slot_b = SlotFactory(), SlotFactory()
    for slot in (slot_a, slot_b):
        client = client_for(PatientFactory().user)
        client.credentials(HTTP_IDEMPOTENCY_KEY="same")
        assert client.post(URL, {"slot": str(slot.pk)}).status_code == 201


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({}, "slot", "required"),
        ({"slot": "nope"}, "slot", "invalid"),
        ({"slot": "9b2a3c1e-0000-4000-8000-000000000000"}, "slot", "does_not_exist"),
        ({"slot": None}, "slot", "null"),
        ({"slot": 5}, "slot", "invalid"),  # an integer is no UUID string (DRF would take it)
    ],
)
def test_bad_booking_input(client_for, patient, body, attr, code):
    assert_error(client_for(patient.user).post(URL, body, format="json"), 400, code, attr=attr)


def test_a_patient_role_without_a_patient_profile_is_refused_and_nothing_is_booked(client_for):
    user = UserRoleFactory(role="patient").user
    slot = SlotFactory()
    response = client_for(user).post(URL, {"slot": str(slot.pk)})
    assert_error(response, 403, "permission_denied")
    assert not Appointment.objects.filter(slot=slot).exists()
    slot.refresh_from_db()
    assert slot.status == "available"


def test_doctor_cannot_book_and_nobody_books_their_own_slot(client_for):
    doctor = DoctorFactory()
    slot = SlotFactory()
    assert_error(
        client_for(doctor.user).post(URL, {"slot": str(slot.pk)}), 403, "permission_denied"
    )
    own = SlotFactory(doctor=doctor)
    PatientFactory(user=doctor.user)
    assert_error(client_for(doctor.user).post(URL, {"slot": str(own.pk)}), 409, "slot_unavailable")

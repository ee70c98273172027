"""Booking a visit type: its length, buffers, modality and price (docs/scheduling.md)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from appointments.models import Appointment
from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    VisitTypeFactory,
    clinic_admin_of,
    in_hours,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def book(client_for, patient, slot, visit_type, **extra):
    body = {"slot": str(slot.pk), "visit_type": str(visit_type.pk) if visit_type else None}
    return client_for(patient.user).post(URL, body | extra)


def test_a_visit_type_gives_the_appointment_its_length_buffers_and_price(client_for, doctor):
    visit_type = VisitTypeFactory(
        doctor=doctor,
        duration_minutes=20,
        price=Decimal("40.00"),
        buffer_before_minutes=5,
        buffer_after_minutes=10,
    )
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(50))
    response = book(client_for, PatientFactory(), slot, visit_type)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["visit_type"]["id"] == str(visit_type.pk)
    assert body["visit_type"]["duration_minutes"] == 20
    assert body["modality"] == "in_person"
    assert (body["buffer_before_minutes"], body["buffer_after_minutes"]) == (5, 10)
    assert body["join_url"] is None
    # 40.00 + 3% + 0.50 (the platform's fee rule on top of the type's price).
    assert (body["consultation_fee"], body["transaction_fee"], body["total_amount"]) == (
        "40.00",
        "1.70",
        "41.70",
    )
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.end - appointment.start == timedelta(minutes=20)
    assert Slot.objects.get(pk=slot.pk).status == "booked"


def test_a_video_link_is_shown_to_the_patient_and_doctor_only(client_for, doctor, settings):
    settings.VIDEO_JOIN_URL_TEMPLATE = "https://meet.example/{room}?a={appointment}"
    visit_type = VisitTypeFactory(doctor=None, clinic=doctor.clinic, modality="video")
    patient = PatientFactory()
    response = book(
        client_for, patient, SlotFactory(doctor=doctor, clinic=doctor.clinic), visit_type
    )
    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(pk=response.json()["id"])
    link = f"https://meet.example/{appointment.video_room}?a={appointment.pk}"
    assert len(appointment.video_room) >= 32
    assert response.json()["join_url"] == link
    path = f"{URL}{appointment.pk}/"
    assert client_for(doctor.user).get(path).json()["join_url"] == link
    assert client_for(patient.user).get(path).json()["join_url"] == link
    admin = clinic_admin_of(doctor.clinic)
    assert client_for(admin).get(path).json()["join_url"] is None
    listed = client_for(admin).get(URL).json()["results"]
    assert [row["join_url"] for row in listed] == [None]


def test_a_phone_visit_carries_the_number_to_call(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=doctor, modality="phone", phone_number="+49 30 555")
    response = book(
        client_for, PatientFactory(), SlotFactory(doctor=doctor, clinic=doctor.clinic), visit_type
    )
    assert response.status_code == 201, response.content
    assert (response.json()["modality"], response.json()["phone_number"]) == ("phone", "+49 30 555")


def test_a_buffer_makes_the_next_slot_unbookable_for_every_type(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=doctor, duration_minutes=30, buffer_after_minutes=10)
    first = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(60))
    second = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=first.end)
    assert book(client_for, PatientFactory(), first, visit_type).status_code == 201
    assert_error(book(client_for, PatientFactory(), second, None), 409, "slot_unavailable")
    other = VisitTypeFactory(doctor=doctor, duration_minutes=15)
    assert_error(book(client_for, PatientFactory(), second, other), 409, "slot_unavailable")
    assert Slot.objects.get(pk=second.pk).status == "available"
    # The slot after the buffer is free.
    third = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=second.end)
    assert book(client_for, PatientFactory(), third, other).status_code == 201


def test_a_cancelled_visit_frees_its_buffer(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=doctor, buffer_after_minutes=10)
    first = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(60))
    second = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=first.end)
    patient = PatientFactory()
    booked = book(client_for, patient, first, visit_type).json()
    cancelled = client_for(doctor.user).post(f"{URL}{booked['id']}/cancel/", {})
    assert cancelled.status_code == 200, cancelled.content
    assert book(client_for, PatientFactory(), second, None).status_code == 201


@pytest.mark.parametrize(
    ("type_fields", "slot_hours", "code"),
    [
        ({"duration_minutes": 45}, 50, "visit_type_too_long"),
        ({"min_notice_minutes": 60 * 24 * 3}, 50, "visit_type_notice"),
        ({"horizon_days": 1}, 50, "visit_type_horizon"),
        ({"new_patients_allowed": False}, 50, "visit_type_existing_patients_only"),
        ({"is_active": False}, 50, "visit_type_not_offered"),
    ],
)
def test_a_booking_outside_the_types_rules_is_a_field_error(
    client_for, doctor, type_fields, slot_hours, code
):
    visit_type = VisitTypeFactory(doctor=doctor, **type_fields)
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(slot_hours))
    assert_error(book(client_for, PatientFactory(), slot, visit_type), 400, code, "visit_type")
    assert not Appointment.objects.exists()


def test_another_doctors_type_is_not_offered(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=DoctorFactory())
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic)
    response = book(client_for, PatientFactory(), slot, visit_type)
    assert_error(response, 400, "visit_type_not_offered", "visit_type")
    bad = client_for(PatientFactory().user).post(URL, {"slot": str(slot.pk), "visit_type": "nope"})
    assert_error(bad, 400, "invalid", "visit_type")


def test_an_existing_patient_books_a_type_closed_to_new_patients(client_for, doctor):
    patient = PatientFactory()
    AppointmentFactory(
        patient=patient,
        slot__doctor=doctor,
        slot__clinic=doctor.clinic,
        slot__start=in_hours(-48),
        status="completed",
    )
    visit_type = VisitTypeFactory(doctor=doctor, new_patients_allowed=False)
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic)
    assert book(client_for, patient, slot, visit_type).status_code == 201


def test_a_rescheduled_visit_keeps_its_length(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=doctor, duration_minutes=15)
    patient = PatientFactory()
    booked = book(client_for, patient, SlotFactory(doctor=doctor, clinic=doctor.clinic), visit_type)
    target = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(120))
    response = client_for(patient.user).post(
        f"{URL}{booked.json()['id']}/reschedule/", {"slot": str(target.pk)}
    )
    assert response.status_code == 200, response.content
    appointment = Appointment.objects.get(pk=booked.json()["id"])
    assert (appointment.start, appointment.end) == (
        target.start,
        target.start + timedelta(minutes=15),
    )


def test_the_same_idempotency_key_with_another_visit_type_is_refused(client_for, doctor):
    patient = PatientFactory()
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic)
    first, second = VisitTypeFactory(doctor=doctor), VisitTypeFactory(doctor=doctor)
    client = client_for(patient.user)
    client.credentials(HTTP_IDEMPOTENCY_KEY="k-1")
    assert client.post(URL, {"slot": str(slot.pk), "visit_type": str(first.pk)}).status_code == 201
    again = client.post(URL, {"slot": str(slot.pk), "visit_type": str(second.pk)})
    assert_error(again, 422, "idempotency_key_reused")

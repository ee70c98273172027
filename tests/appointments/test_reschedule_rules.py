"""The rules of a reschedule that `make mutate` showed no test pinned: each refusal's own
detail, the calendar sequence counting every move, the slot's own timestamps, the difference
between a taken and a past target, and the statements a move costs."""

import pytest

from appointments.models import Appointment
from appointments.services import book_appointment
from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import DoctorFactory, PatientFactory, SlotFactory, in_hours

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"
# authentication (the user, their roles), the target read by the input serializer, the
# appointment for the permission check; in the service's savepoint: its lock, the target's lock
# (with doctor, user and clinic), the live hold, the UPDATE in its own savepoint, the target
# marked booked, the old slot freed and read back, 4 task rows (2 reminders, 2 notices), the
# waitlist and the webhook endpoints; and the appointment read back for the answer.
RESCHEDULE = 23


def reschedule(client, appointment, slot):
    return client.post(f"{URL}{appointment.pk}/reschedule/", {"slot": str(slot.pk)})


@pytest.fixture
def booked():
    slot = SlotFactory(start=in_hours(72))
    appointment = book_appointment(patient=PatientFactory(), slot_id=slot.pk).appointment
    return appointment, slot


def details(response) -> list[str]:
    return [error["detail"] for error in response.json()["errors"]]


def test_every_move_counts_in_the_calendar_sequence(client_for, booked):
    appointment, slot = booked
    client = client_for(appointment.patient.user)
    for expected, hours in ((1, 96), (2, 120)):
        target = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(hours))
        response = reschedule(client, appointment, target)
        assert response.status_code == 200, response.content
        assert response.json()["sequence"] == expected
    assert Appointment.objects.get(pk=appointment.pk).sequence == 2


def test_the_target_slot_is_marked_booked_now(client_for, booked):
    appointment, slot = booked
    target = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(96))
    before = Slot.objects.get(pk=target.pk).updated_at
    assert reschedule(client_for(appointment.patient.user), appointment, target).status_code == 200
    moved = Slot.objects.get(pk=target.pk)
    assert moved.status == "booked"
    assert moved.updated_at > before


def test_a_taken_target_is_unavailable_even_when_past_slots_exist(client_for, booked):
    appointment, slot = booked
    SlotFactory(start=in_hours(-3))  # some past slot, not the target
    taken = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(96))
    book_appointment(patient=PatientFactory(), slot_id=taken.pk)
    response = reschedule(client_for(appointment.patient.user), appointment, taken)
    assert_error(response, 409, "slot_unavailable")


def test_nobody_moves_into_their_own_slot(client_for):
    doctor = DoctorFactory()
    patient = PatientFactory(user=doctor.user)
    appointment = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(72)).pk
    ).appointment
    own = SlotFactory(doctor=doctor, start=in_hours(96))
    response = reschedule(client_for(doctor.user), appointment, own)
    assert_error(response, 409, "slot_unavailable")
    assert details(response) == ["You cannot book your own slot."]
    assert Appointment.objects.get(pk=appointment.pk).slot_id == appointment.slot_id


def test_a_clinic_admin_is_told_why_another_clinics_slot_is_refused(client_for, world):
    elsewhere = SlotFactory(start=in_hours(150))
    response = reschedule(client_for(world.clinic_admin), world.appointment, elsewhere)
    assert_error(response, 400, "slot_outside_clinic", attr="slot")
    assert details(response) == [
        "Clinic admins move appointments only to slots of clinics they administer."
    ]


def test_a_move_costs_a_fixed_number_of_statements(
    client_for, booked, django_assert_max_num_queries
):
    appointment, slot = booked
    client = client_for(appointment.patient.user)
    target = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(96))
    client.get("/api/v1/auth/me/")  # warm per-process caches (content types, ...)
    with django_assert_max_num_queries(RESCHEDULE):
        response = reschedule(client, appointment, target)
    assert response.status_code == 200, response.content

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    SlotFactory,
    in_hours,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/slots/"


def iso(moment):
    return moment.isoformat()


def test_doctor_publishes_a_slot_rendered_in_utc_and_clinic_time(client_for, doctor):
    start = in_hours(48).replace(microsecond=0)
    response = client_for(doctor.user).post(
        URL,
        {
            "clinic": str(doctor.clinic.pk),
            "start": iso(start),
            "end": iso(start + timedelta(minutes=30)),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "available"
    assert body["timezone"] == "Europe/Berlin"
    assert body["start"].endswith("Z")
    assert body["start_local"][-6:] in {"+01:00", "+02:00"}
    assert Slot.objects.get(pk=body["id"]).start == start


@pytest.mark.parametrize(
    ("change", "attr", "code"),
    [
        ({"start": in_hours(48).replace(tzinfo=None).isoformat()}, "start", "naive"),
        ({"start": "tomorrow"}, "start", "invalid"),
        ({"end": None}, "end", "null"),
    ],
)
def test_bad_slot_input_is_a_field_error(client_for, doctor, change, attr, code):
    start = in_hours(48)
    body = {
        "clinic": str(doctor.clinic.pk),
        "start": iso(start),
        "end": iso(start + timedelta(hours=1)),
        **change,
    }
    assert_error(client_for(doctor.user).post(URL, body, format="json"), 400, code, attr=attr)


def test_slot_rules_are_field_errors(client_for, doctor):
    client = client_for(doctor.user)
    start = in_hours(48)
    backwards = {
        "clinic": str(doctor.clinic.pk),
        "start": iso(start),
        "end": iso(start - timedelta(minutes=5)),
    }
    assert_error(client.post(URL, backwards), 400, "end_before_start", attr="end")
    past = {"clinic": str(doctor.clinic.pk), "start": iso(in_hours(-2)), "end": iso(in_hours(-1))}
    assert_error(client.post(URL, past), 400, "start_in_past", attr="start")
    elsewhere = {
        "clinic": str(ClinicFactory().pk),
        "start": iso(start),
        "end": iso(start + timedelta(hours=1)),
    }
    assert_error(client.post(URL, elsewhere), 400, "not_associated", attr="clinic")


def test_unconfirmed_doctor_cannot_publish(client_for):
    doctor = DoctorFactory(is_confirmed=False)
    clinic = AssociationFactory(doctor=doctor).clinic
    start = in_hours(48)
    body = {"clinic": str(clinic.pk), "start": iso(start), "end": iso(start + timedelta(hours=1))}
    assert_error(client_for(doctor.user).post(URL, body), 403, "doctor_not_confirmed")


def test_overlapping_slot_is_refused(client_for, doctor):
    existing = SlotFactory(doctor=doctor, clinic=doctor.clinic)
    body = {
        "clinic": str(doctor.clinic.pk),
        "start": iso(existing.start + timedelta(minutes=10)),
        "end": iso(existing.end + timedelta(minutes=10)),
    }
    assert_error(client_for(doctor.user).post(URL, body), 409, "slot_overlap")
    adjacent = {
        "clinic": str(doctor.clinic.pk),
        "start": iso(existing.end),
        "end": iso(existing.end + timedelta(minutes=30)),
    }
    assert client_for(doctor.user).post(URL, adjacent).status_code == 201


def test_overlap_is_per_doctor(client_for, doctor):
    other = SlotFactory(clinic=doctor.clinic)
    body = {"clinic": str(doctor.clinic.pk), "start": iso(other.start), "end": iso(other.end)}
    assert client_for(doctor.user).post(URL, body).status_code == 201


def test_exclusion_constraint_refuses_overlap_written_straight_through_the_orm(doctor):
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic)
    with pytest.raises(IntegrityError, match="slot_no_overlap_per_doctor"), transaction.atomic():
        Slot.objects.create(
            doctor=doctor,
            clinic=doctor.clinic,
            start=slot.start + timedelta(minutes=29),
            end=slot.end + timedelta(hours=1),
        )
    with pytest.raises(IntegrityError, match="slot_end_after_start"), transaction.atomic():
        Slot.objects.create(doctor=doctor, clinic=doctor.clinic, start=slot.end, end=slot.end)


def test_doctor_moves_blocks_unblocks_and_removes_a_free_slot(client_for, doctor):
    client = client_for(doctor.user)
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic)
    later = slot.start + timedelta(hours=2)
    response = client.patch(
        f"{URL}{slot.pk}/", {"start": iso(later), "end": iso(later + timedelta(minutes=45))}
    )
    assert response.status_code == 200, response.content
    assert client.post(f"{URL}{slot.pk}/block/").json()["status"] == "blocked"
    assert client.post(f"{URL}{slot.pk}/unblock/").json()["status"] == "available"
    assert client.delete(f"{URL}{slot.pk}/").status_code == 204
    assert not Slot.objects.filter(pk=slot.pk).exists()


def test_booked_slot_cannot_be_edited_blocked_or_removed(client_for, doctor):
    appointment = AppointmentFactory(slot__doctor=doctor, slot__clinic=doctor.clinic)
    client = client_for(doctor.user)
    path = f"{URL}{appointment.slot_id}/"
    assert_error(
        client.patch(path, {"start": iso(in_hours(100)), "end": iso(in_hours(101))}),
        409,
        "slot_booked",
    )
    assert_error(client.post(f"{path}block/"), 409, "slot_booked")
    assert_error(client.delete(path), 409, "slot_booked")
    assert Slot.objects.get(pk=appointment.slot_id).status == "booked"


def test_slot_with_only_a_cancelled_appointment_can_be_removed(client_for, doctor):
    appointment = AppointmentFactory(
        slot__doctor=doctor,
        slot__clinic=doctor.clinic,
        slot__status="available",
        status="cancelled",
        cancelled_at=timezone.now(),
    )
    assert client_for(doctor.user).delete(f"{URL}{appointment.slot_id}/").status_code == 204
    appointment.refresh_from_db()
    assert appointment.slot_id is None
    assert appointment.start is not None

"""Slot search by visit type, modality and new-patient eligibility (docs/scheduling.md)."""

from datetime import timedelta

import pytest

from appointments.services import book_appointment
from tests.errors import assert_error
from tests.factories import (
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    VisitTypeFactory,
    in_hours,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/slots/available/"


def found(client_for, **params) -> list[str]:
    response = client_for(PatientFactory().user).get(URL, params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_visit_type_finds_the_slots_it_fits_in(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=doctor, duration_minutes=30)
    fits = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(50))
    short = SlotFactory(
        doctor=doctor,
        clinic=doctor.clinic,
        start=in_hours(52),
        end=in_hours(52) + timedelta(minutes=20),
    )
    SlotFactory(start=in_hours(53))  # another doctor's
    assert found(client_for, visit_type=str(visit_type.pk)) == [str(fits.pk)]
    assert str(short.pk) in found(client_for)


def test_a_clinics_type_finds_its_doctors_slots_there_only(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=None, clinic=doctor.clinic)
    here = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(50))
    SlotFactory(doctor=doctor, start=in_hours(60))  # the doctor at another clinic
    assert found(client_for, visit_type=str(visit_type.pk)) == [str(here.pk)]


def test_notice_and_horizon_bound_the_search(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=doctor, min_notice_minutes=60 * 48, horizon_days=5)
    SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(24))
    within = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(72))
    SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(24 * 6))
    assert found(client_for, visit_type=str(visit_type.pk)) == [str(within.pk)]


def test_a_slot_inside_a_booked_visits_buffer_is_not_found(client_for, doctor):
    buffered = VisitTypeFactory(doctor=doctor, buffer_after_minutes=10)
    plain = VisitTypeFactory(doctor=doctor)
    first = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(50))
    second = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=first.end)
    third = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=second.end)
    assert found(client_for, visit_type=str(plain.pk)) == [
        str(first.pk),
        str(second.pk),
        str(third.pk),
    ]
    book_appointment(patient=PatientFactory(), slot_id=first.pk, visit_type_id=buffered.pk)
    assert found(client_for, visit_type=str(plain.pk)) == [str(third.pk)]
    # A type with a buffer before it stays clear of the slot just before a booked visit too.
    wary = VisitTypeFactory(doctor=doctor, buffer_before_minutes=5)
    book_appointment(patient=PatientFactory(), slot_id=third.pk, visit_type_id=plain.pk)
    fourth = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=third.end)
    assert found(client_for, visit_type=str(wary.pk)) == []
    assert found(client_for, visit_type=str(plain.pk)) == [str(fourth.pk)]


def test_modality_and_new_patients_filter_by_the_doctors_offer(client_for, doctor):
    other = DoctorFactory()
    VisitTypeFactory(doctor=doctor, modality="video", new_patients_allowed=False)
    VisitTypeFactory(doctor=other, modality="in_person")
    mine = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(50))
    theirs = SlotFactory(doctor=other, start=in_hours(51))
    assert found(client_for, modality="video") == [str(mine.pk)]
    assert found(client_for, modality="in_person") == [str(theirs.pk)]
    assert found(client_for, new_patients="true") == [str(theirs.pk)]
    assert found(client_for, modality="video", new_patients="true") == []


@pytest.mark.parametrize(
    ("params", "attr", "code"),
    [
        ({"visit_type": "nope"}, "visit_type", "invalid"),
        ({"modality": "carrier-pigeon"}, "modality", "invalid_choice"),
        ({"new_patients": "perhaps"}, "new_patients", "invalid"),
    ],
)
def test_bad_search_input_is_a_field_error(client_for, params, attr, code):
    response = client_for(PatientFactory().user).get(URL, params)
    assert_error(response, 400, code, attr)


def test_a_retired_type_is_not_a_search_filter(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=doctor, is_active=False)
    response = client_for(PatientFactory().user).get(URL, {"visit_type": str(visit_type.pk)})
    assert_error(response, 400, "invalid_choice", "visit_type")

"""`next_available` on the doctor directory: the first bookable slot of each doctor."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    SlotFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/doctors/"


def _by_id(response) -> dict:
    return {row["id"]: row["next_available"] for row in response.json()["results"]}


def test_next_available_is_the_first_bookable_future_slot(client_for):
    clinic = ClinicFactory()
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(-2))  # past
    SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(5), status="blocked")
    AppointmentFactory(slot__doctor=doctor, slot__clinic=clinic, slot__start=in_hours(6))
    first = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(24))
    SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(48))
    idle = DoctorFactory()  # no slots at all
    patient = user_with_role("patient")

    response = client_for(patient).get(URL)

    assert response.status_code == 200
    rows = _by_id(response)
    assert rows[str(idle.pk)] is None
    shown = rows[str(doctor.pk)]
    assert shown == {"slot_id": str(first.pk), "start": shown["start"], "clinic_id": str(clinic.pk)}
    assert parse_datetime(shown["start"]) == first.start


def test_next_available_skips_clinics_the_doctor_left_or_that_closed(client_for):
    doctor = DoctorFactory()
    left = ClinicFactory()
    closed = ClinicFactory(is_active=False)
    current = ClinicFactory()
    SlotFactory(doctor=doctor, clinic=left, start=in_hours(10))
    doctor.associations.filter(clinic=left).update(is_active=False, ended_on=timezone.now().date())
    SlotFactory(doctor=doctor, clinic=closed, start=in_hours(11))
    slot = SlotFactory(doctor=doctor, clinic=current, start=in_hours(12))

    response = client_for(user_with_role("patient")).get(f"{URL}{doctor.pk}/")

    assert response.status_code == 200
    assert response.json()["next_available"]["slot_id"] == str(slot.pk)


def test_unconfirmed_doctor_has_no_next_available_even_for_admins(client_for):
    doctor = DoctorFactory(is_confirmed=False, confirmed_at=None)
    SlotFactory(doctor=doctor, start=timezone.now() + timedelta(days=1))

    response = client_for(user_with_role("platform_admin")).get(f"{URL}{doctor.pk}/")

    assert response.json()["next_available"] is None


def test_next_available_costs_no_extra_query_per_doctor(client_for, django_assert_num_queries):
    patient = user_with_role("patient")
    client = client_for(patient)
    for _ in range(3):
        SlotFactory(start=in_hours(30))
    client.get(URL)  # warm the caches the first request fills
    with django_assert_num_queries(6):
        client.get(URL)
    for _ in range(10):
        SlotFactory(start=in_hours(30))
    with django_assert_num_queries(6):
        response = client.get(URL)
    assert all(row["next_available"] for row in response.json()["results"])


def test_next_available_follows_the_visit_type_modality_and_new_patient_filters(client_for):
    from tests.factories import VisitTypeFactory

    clinic = ClinicFactory()
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    long_type = VisitTypeFactory(doctor=doctor, duration_minutes=60, modality="video")
    VisitTypeFactory(doctor=doctor, duration_minutes=20, new_patients_allowed=False)
    short = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(24))
    long = SlotFactory(
        doctor=doctor, clinic=clinic, start=in_hours(30), end=in_hours(30) + timedelta(hours=1)
    )
    client = client_for(user_with_role("patient"))

    def first_slot(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        shown = _by_id(response)[str(doctor.pk)]
        return shown and shown["slot_id"]

    assert first_slot() == str(short.pk)
    assert first_slot(visit_type=str(long_type.pk)) == str(long.pk)
    assert first_slot(modality="video") == str(long.pk)
    assert first_slot(modality="in_person") == str(short.pk)
    assert first_slot(modality="phone") is None
    assert first_slot(new_patients="true") == str(long.pk)
    bad = client.get(URL, {"modality": "smoke-signal"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "modality"


def test_the_directory_filters_cost_no_more_queries(client_for, django_assert_max_num_queries):
    from tests.factories import VisitTypeFactory

    clinic = ClinicFactory()
    for i in range(5):
        doctor = DoctorFactory()
        AssociationFactory(doctor=doctor, clinic=clinic)
        VisitTypeFactory(doctor=doctor, modality="video")
        SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(24 + i))
    client = client_for(user_with_role("patient"))
    client.get(URL)
    with django_assert_max_num_queries(6):
        assert client.get(URL, {"modality": "video"}).status_code == 200

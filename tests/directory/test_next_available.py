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

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import (
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    SlotFactory,
    SpecialtyFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/slots/available/"


@pytest.fixture
def patient_client(client_for):
    return client_for(user_with_role("patient"))


def ids(response):
    assert response.status_code == 200, response.content
    return [slot["id"] for slot in response.json()["results"]]


def test_search_shows_only_bookable_future_slots_in_start_order(patient_client):
    good = SlotFactory(start=in_hours(5))
    earlier = SlotFactory(start=in_hours(3))
    SlotFactory(start=in_hours(-1), end=in_hours(-0.5))
    SlotFactory(status="booked")
    SlotFactory(status="blocked")
    SlotFactory(doctor=DoctorFactory(is_confirmed=False))
    SlotFactory(doctor=DoctorFactory(user__is_active=False))
    SlotFactory(clinic=ClinicFactory(is_active=False))
    ended = SlotFactory()
    ended.doctor.associations.update(is_active=False, ended_on="2024-05-01")
    assert ids(patient_client.get(URL)) == [str(earlier.pk), str(good.pk)]


def test_search_filters(patient_client):
    cardio = SpecialtyFactory(slug="cardiology")
    hamburg = ClinicFactory(city="Hamburg")
    heart = DoctorFactory(specialty=cardio)
    target = SlotFactory(doctor=heart, clinic=hamburg, start=in_hours(10))
    SlotFactory(doctor=heart, clinic=ClinicFactory(city="Berlin"), start=in_hours(20))
    SlotFactory(clinic=hamburg)
    assert ids(patient_client.get(f"{URL}?specialty=cardiology&city=hamburg")) == [str(target.pk)]
    assert len(ids(patient_client.get(f"{URL}?doctor={heart.pk}"))) == 2
    assert len(ids(patient_client.get(f"{URL}?clinic={hamburg.pk}"))) == 2


def test_date_range_is_read_in_the_given_zone(patient_client):
    doctor = DoctorFactory()
    clinic = ClinicFactory(timezone="America/New_York")
    AssociationFactory(doctor=doctor, clinic=clinic)
    with time_machine.travel(datetime(2021, 1, 1, tzinfo=UTC), tick=False):
        # 2021-01-10 23:30 New York time is 2021-01-11 04:30 UTC.
        late = SlotFactory(
            doctor=doctor, clinic=clinic, start=datetime(2021, 1, 11, 4, 30, tzinfo=UTC)
        )
        SlotFactory(doctor=doctor, clinic=clinic, start=datetime(2021, 1, 11, 14, 0, tzinfo=UTC))
        new_york = ids(patient_client.get(f"{URL}?date=2021-01-10&tz=America/New_York"))
        in_utc = ids(patient_client.get(f"{URL}?date=2021-01-10"))
    assert new_york == [str(late.pk)]
    assert in_utc == []


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("tz=Mars/Base", "tz", "invalid_timezone"),
        ("date_from=2021-02-01&date_to=2021-01-01", "date_to", "invalid_range"),
        ("date=not-a-date", "date", "invalid"),
        ("specialty=nope", "specialty", "invalid_choice"),
    ],
)
def test_bad_search_input(patient_client, query, attr, code):
    assert_error(patient_client.get(f"{URL}?{query}"), 400, code, attr=attr)


def test_search_over_ten_thousand_slots_has_constant_queries(
    patient_client, django_assert_max_num_queries
):
    doctors = [DoctorFactory() for _ in range(20)]
    clinic = ClinicFactory()
    for doctor in doctors:
        AssociationFactory(doctor=doctor, clinic=clinic)
    base = in_hours(1)
    Slot.objects.bulk_create(
        Slot(
            doctor=doctors[i % 20],
            clinic=clinic,
            start=base + timedelta(minutes=30 * (i // 20)),
            end=base + timedelta(minutes=30 * (i // 20) + 30),
        )
        for i in range(10_000)
    )
    with django_assert_max_num_queries(4):
        response = patient_client.get(f"{URL}?page_size=50&clinic={clinic.pk}")
    assert response.json()["count"] == 10_000
    assert len(response.json()["results"]) == 50
    with django_assert_max_num_queries(4):
        patient_client.get(f"{URL}?page_size=1&page=200")

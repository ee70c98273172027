import uuid
from datetime import UTC, datetime

import pytest
import time_machine

from tests.errors import assert_error
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    clinic_admin_of,
    in_hours,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def ids(response):
    assert response.status_code == 200, response.content
    return [a["id"] for a in response.json()["results"]]


def test_patient_lists_upcoming_and_past(client_for):
    patient = PatientFactory()
    upcoming = AppointmentFactory(patient=patient, slot__start=in_hours(5))
    past = AppointmentFactory(patient=patient, slot__start=in_hours(-50), status="completed")
    AppointmentFactory()
    client = client_for(patient.user)
    assert ids(client.get(f"{URL}?when=upcoming")) == [str(upcoming.pk)]
    assert ids(client.get(f"{URL}?when=past")) == [str(past.pk)]
    assert ids(client.get(f"{URL}?status=completed")) == [str(past.pk)]
    assert ids(client.get(f"{URL}?ordering=-start")) == [str(upcoming.pk), str(past.pk)]


def test_doctor_lists_a_day_in_the_clinics_zone(client_for):
    doctor = DoctorFactory()
    clinic = ClinicFactory(timezone="Europe/Berlin")
    with time_machine.travel(datetime(2021, 1, 1, tzinfo=UTC), tick=False):
        # 2021-01-10 23:30 UTC is already the 11th in Berlin.
        late = AppointmentFactory(
            slot__doctor=doctor,
            slot__clinic=clinic,
            slot__start=datetime(2021, 1, 10, 23, 30, tzinfo=UTC),
        )
        noon = AppointmentFactory(
            slot__doctor=doctor,
            slot__clinic=clinic,
            slot__start=datetime(2021, 1, 11, 12, 0, tzinfo=UTC),
        )
        client = client_for(doctor.user)
        assert ids(client.get(f"{URL}?date=2021-01-11&tz=Europe/Berlin")) == [
            str(late.pk),
            str(noon.pk),
        ]
        assert ids(client.get(f"{URL}?date=2021-01-11")) == [str(noon.pk)]


def test_clinic_admin_lists_their_clinics_appointments_with_patient_names_only(client_for):
    mine = AppointmentFactory()
    AppointmentFactory()
    response = client_for(clinic_admin_of(mine.clinic)).get(URL)
    assert ids(response) == [str(mine.pk)]
    assert set(response.json()["results"][0]["patient"]) == {"id", "first_name", "last_name"}


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("status=lost", "status", "invalid_choice"),
        ("when=soon", "when", "invalid_choice"),
        ("tz=Nowhere", "tz", "invalid_timezone"),
        ("doctor=x", "doctor", "invalid"),
    ],
)
def test_bad_list_filters(client_for, query, attr, code):
    assert_error(client_for(PatientFactory().user).get(f"{URL}?{query}"), 400, code, attr=attr)


def test_the_patient_filter_does_not_tell_which_patient_ids_exist(client_for):
    """Another clinic's patient and an id nobody has answer alike: an empty page."""
    stranger = AppointmentFactory().patient
    outsider = AppointmentFactory()
    client = client_for(outsider.patient.user)
    known = client.get(f"/api/v1/appointments/?patient={stranger.pk}")
    unknown = client.get(f"/api/v1/appointments/?patient={uuid.uuid4()}")
    assert known.status_code == unknown.status_code == 200
    assert (
        known.json()
        == unknown.json()
        == {
            "count": 0,
            "next": None,
            "previous": None,
            "results": [],
        }
    )
    assert client.get("/api/v1/appointments/?patient=not-a-uuid").status_code == 400
    own = client.get(f"/api/v1/appointments/?patient={outsider.patient.pk}")
    assert [row["id"] for row in own.json()["results"]] == [str(outsider.pk)]

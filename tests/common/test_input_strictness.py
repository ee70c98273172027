"""Input the schema calls invalid is refused with a 400, never coerced, ignored or a 500.

Each case here is one `make fuzz` (schemathesis) found against the live API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from doctors.models import Specialty
from tests.errors import assert_error
from tests.factories import (
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    template_body,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def a_monday_ahead() -> str:
    today = timezone.localdate()
    return (today + timedelta(days=14 - today.weekday())).isoformat()


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", 0), ("first_name", 12.5), ("last_name", False), ("phone", ["0"])],
)
def test_a_string_field_refuses_other_json_types(client_for, field, value):
    patient = PatientFactory()
    response = client_for(patient.user).patch("/api/v1/auth/me/", {field: value})
    assert_error(response, 400, "invalid", attr=field)
    patient.user.refresh_from_db()
    assert getattr(patient.user, field) != str(value)


def test_an_integer_field_refuses_a_string(client_for, doctor):
    response = client_for(doctor.user).post(
        "/api/v1/slots/bulk/",
        template_body(
            doctor.clinic, a_monday_ahead(), weekdays=[0, "1"], end_time="12:00", slot_minutes="30"
        ),
    )
    body = assert_error(response, 400, "invalid", attr="slot_minutes")
    assert ("invalid", "weekdays.1") in [(e["code"], e["attr"]) for e in body["errors"]]


def test_a_whole_float_still_counts_as_an_integer(client_for, doctor):
    response = client_for(doctor.user).post(
        "/api/v1/slots/bulk/",
        template_body(doctor.clinic, a_monday_ahead(), weekdays=[0], slot_minutes=30.0),
    )
    assert response.status_code == 201, response.json()
    assert response.json()["created_count"] == 2


@pytest.mark.parametrize("value", ["maybe", "2", "yes", "1.5"])
def test_an_unreadable_boolean_filter_is_a_field_error(client_for, value):
    admin = client_for(user_with_role("platform_admin"))
    assert_error(admin.get(f"/api/v1/clinics/?is_active={value}"), 400, "invalid", "is_active")


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("true", ["Open"]),
        ("TRUE", ["Open"]),
        ("1", ["Open"]),
        ("false", ["Closed"]),
        ("0", ["Closed"]),
        ("", ["Closed", "Open"]),
    ],
)
def test_boolean_filters_read_every_usual_spelling(client_for, value, names):
    ClinicFactory(name="Open")
    ClinicFactory(name="Closed", is_active=False)
    admin = client_for(user_with_role("platform_admin"))
    response = admin.get(f"/api/v1/clinics/?is_active={value}")
    assert response.status_code == 200, response.json()
    assert [clinic["name"] for clinic in response.json()["results"]] == names


@pytest.mark.parametrize("value", ["0", "-5", "ten", "null", "2.5", "٣"])
def test_a_malformed_page_size_is_a_field_error(client_for, value):
    patient = PatientFactory()
    response = client_for(patient.user).get(f"/api/v1/specialties/?page_size={value}")
    assert_error(response, 400, "invalid", attr="page_size")


@pytest.mark.parametrize(("value", "size"), [("", 20), ("3", 3), ("500", 100)])
def test_page_size_empty_is_the_default_and_large_is_capped(client_for, value, size):
    Specialty.objects.bulk_create(
        Specialty(name=f"Specialty {n}", slug=f"s-{n}") for n in range(120)
    )
    patient = PatientFactory()
    response = client_for(patient.user).get(f"/api/v1/specialties/?page_size={value}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == size


def test_an_empty_uuid_filter_means_not_given(client_for):
    patient = PatientFactory()
    response = client_for(patient.user).get("/api/v1/appointments/?patient=&doctor=")
    assert response.status_code == 200


def test_query_string_serializers_still_parse_text():
    from django.http import QueryDict

    from reports.serializers import DoctorsQuerySerializer

    query = DoctorsQuerySerializer(data=QueryDict("limit=3&order=rating"))
    assert query.is_valid(), query.errors
    assert query.validated_data["limit"] == 3


@pytest.mark.django_db
def test_decimals_are_json_strings(client_for):
    from tests.errors import assert_error

    doctor = DoctorFactory()
    response = client_for(doctor.user).patch(
        "/api/v1/doctors/me/", {"consultation_fee": 95.5}, format="json"
    )
    assert_error(response, 400, "invalid", attr="consultation_fee")
    ok = client_for(doctor.user).patch(
        "/api/v1/doctors/me/", {"consultation_fee": "95.50"}, format="json"
    )
    assert ok.json()["consultation_fee"] == "95.50"


def test_a_string_longer_than_its_max_length_is_refused_even_if_trimming_would_fit(client_for):
    patient = PatientFactory()
    response = client_for(patient.user).patch("/api/v1/auth/me/", {"first_name": "a" * 150 + " "})
    assert_error(response, 400, "max_length", attr="first_name")

"""Visit types: who creates and changes them, what they accept (docs/scheduling.md)."""

from decimal import Decimal

import pytest

from scheduling.models import VisitType
from tests.errors import assert_error
from tests.factories import (
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    VisitTypeFactory,
    clinic_admin_of,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/visit-types/"


def body(**fields) -> dict:
    return {
        "name": "Follow-up",
        "reason_code": "follow-up",
        "duration_minutes": 15,
        "price": "45.00",
        "modality": "video",
        "buffer_before_minutes": 5,
        "buffer_after_minutes": 10,
        "min_notice_minutes": 120,
        "horizon_days": 30,
        "new_patients_allowed": False,
    } | fields


def test_a_doctor_creates_their_own_visit_type(client_for, doctor):
    response = client_for(doctor.user).post(URL, body())
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["doctor"] == str(doctor.pk)
    assert created["clinic"] is None
    assert created["price"] == "45.00"
    assert created["is_active"] is True
    stored = VisitType.objects.get(pk=created["id"])
    assert (stored.duration_minutes, stored.buffer_after_minutes) == (15, 10)
    assert stored.price == Decimal("45.00")


def test_a_clinic_admin_creates_a_type_for_all_the_clinics_doctors(client_for):
    clinic = ClinicFactory()
    response = client_for(clinic_admin_of(clinic)).post(URL, body(clinic=str(clinic.pk)))
    assert response.status_code == 201, response.content
    assert response.json()["clinic"] == str(clinic.pk)
    assert response.json()["doctor"] is None


def test_an_admin_of_another_clinic_and_a_doctor_cannot_create_a_clinics_type(client_for, doctor):
    clinic = ClinicFactory()
    for user in (clinic_admin_of(ClinicFactory()), doctor.user):
        response = client_for(user).post(URL, body(clinic=str(clinic.pk)))
        assert_error(response, 403, "permission_denied")
    assert not VisitType.objects.exists()


def test_patients_and_unconfirmed_doctors_cannot_create_types(client_for):
    assert_error(client_for(PatientFactory().user).post(URL, body()), 403, "permission_denied")
    unconfirmed = DoctorFactory(is_confirmed=False, confirmed_at=None)
    assert_error(client_for(unconfirmed.user).post(URL, body()), 403, "doctor_not_confirmed")
    assert not VisitType.objects.exists()


@pytest.mark.parametrize(
    ("change", "attr", "code"),
    [
        ({"duration_minutes": 0}, "duration_minutes", "min_value"),
        ({"duration_minutes": 10**12}, "duration_minutes", "max_value"),
        ({"duration_minutes": "30"}, "duration_minutes", "invalid"),
        ({"buffer_after_minutes": 241}, "buffer_after_minutes", "max_value"),
        ({"price": "-1.00"}, "price", "min_value"),
        ({"price": "1e400"}, "price", "max_digits"),
        ({"modality": "telepathy"}, "modality", "invalid_choice"),
        ({"reason_code": "no spaces"}, "reason_code", "invalid"),
        ({"horizon_days": 0}, "horizon_days", "min_value"),
        ({"min_notice_minutes": 10**9}, "min_notice_minutes", "max_value"),
        ({"modality": "phone"}, "phone_number", "required"),
        ({"clinic": "not-a-uuid"}, "clinic", "invalid"),
        ({"clinic": ""}, "clinic", "invalid"),
    ],
)
def test_bad_visit_type_input_is_a_field_error(client_for, doctor, change, attr, code):
    response = client_for(doctor.user).post(URL, body(**change))
    assert_error(response, 400, code, attr)
    assert not VisitType.objects.exists()


def test_a_phone_visit_carries_the_number_to_call(client_for, doctor):
    response = client_for(doctor.user).post(
        URL, body(modality="phone", phone_number="+49 30 1234567")
    )
    assert response.status_code == 201, response.content
    assert response.json()["phone_number"] == "+49 30 1234567"


def test_everyone_signed_in_lists_active_types_and_filters_them(client_for, doctor):
    video = VisitTypeFactory(doctor=doctor, modality="video")
    VisitTypeFactory(doctor=doctor, modality="in_person")
    VisitTypeFactory(doctor=doctor, modality="video", is_active=False)
    VisitTypeFactory(doctor=DoctorFactory(is_confirmed=False, confirmed_at=None))
    clinic_type = VisitTypeFactory(doctor=None, clinic=doctor.clinic, modality="phone")
    client = client_for(PatientFactory().user)
    listed = client.get(URL, {"doctor": str(doctor.pk), "modality": "video"}).json()["results"]
    assert [row["id"] for row in listed] == [str(video.pk)]
    everything = client.get(URL).json()["results"]
    assert len(everything) == 3
    by_clinic = client.get(URL, {"clinic": str(doctor.clinic.pk)}).json()["results"]
    assert [row["id"] for row in by_clinic] == [str(clinic_type.pk)]
    assert_error(client.get(URL, {"modality": "x"}), 400, "invalid_choice", "modality")


def test_the_doctor_changes_and_retires_their_type_others_may_not(client_for, doctor):
    visit_type = VisitTypeFactory(doctor=doctor)
    path = f"{URL}{visit_type.pk}/"
    other = client_for(DoctorFactory().user)
    assert_error(other.patch(path, {"price": "1.00"}), 403, "permission_denied")
    assert_error(client_for(PatientFactory().user).delete(path), 403, "permission_denied")
    response = client_for(doctor.user).patch(path, {"price": "70.50", "duration_minutes": 45})
    assert response.status_code == 200, response.content
    assert (response.json()["price"], response.json()["duration_minutes"]) == ("70.50", 45)
    assert_error(
        client_for(doctor.user).patch(path, {"modality": "phone"}), 400, "required", "phone_number"
    )
    assert client_for(doctor.user).delete(path).status_code == 204
    visit_type.refresh_from_db()
    assert visit_type.is_active is False
    assert visit_type.price == Decimal("70.50")
    # Retired: gone from the API, for its doctor too.
    assert client_for(PatientFactory().user).get(path).status_code == 404
    assert client_for(doctor.user).get(path).status_code == 404
    assert client_for(doctor.user).delete(path).status_code == 404


def test_a_clinics_admin_changes_its_type_not_the_owner_fields(client_for):
    clinic = ClinicFactory()
    visit_type = VisitTypeFactory(doctor=None, clinic=clinic)
    path = f"{URL}{visit_type.pk}/"
    admin = client_for(clinic_admin_of(clinic))
    response = admin.patch(path, {"name": "First visit", "clinic": str(ClinicFactory().pk)})
    assert response.status_code == 200, response.content
    visit_type.refresh_from_db()
    assert (visit_type.name, visit_type.clinic_id) == ("First visit", clinic.pk)
    assert_error(
        client_for(clinic_admin_of(ClinicFactory())).patch(path, {"name": "x"}),
        403,
        "permission_denied",
    )

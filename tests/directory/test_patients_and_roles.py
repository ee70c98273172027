import pytest

from accounts.models import Role
from accounts.services import grant_role
from patients.permissions import grant_doctor_access_to_patient
from tests.errors import assert_error
from tests.factories import DoctorFactory, PatientFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"


def test_doctor_lists_only_patients_they_have_access_to(client_for):
    doctor = DoctorFactory()
    mine = [PatientFactory() for _ in range(50)]
    PatientFactory()
    for patient in mine:
        grant_doctor_access_to_patient(doctor_user=doctor.user, patient=patient)
    client = client_for(doctor.user)
    response = client.get(f"{URL}?page_size=50")
    assert response.json()["count"] == 50
    assert {p["id"] for p in response.json()["results"]} == {str(p.pk) for p in mine}


def test_patient_sees_only_themselves_and_clinic_admin_nobody(client_for):
    patient = PatientFactory()
    PatientFactory()
    assert [p["id"] for p in client_for(patient.user).get(URL).json()["results"]] == [
        str(patient.pk)
    ]
    assert client_for(user_with_role(Role.CLINIC_ADMIN)).get(URL).json()["count"] == 0


def test_platform_admin_searches_patients(client_for):
    PatientFactory(user__last_name="Zimmermann")
    PatientFactory(user__last_name="Young")
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    results = admin.get(f"{URL}?search=zimm").json()["results"]
    assert [p["last_name"] for p in results] == ["Zimmermann"]


def test_patient_updates_profile_without_mass_assignment(client_for):
    patient = PatientFactory()
    other = UserFactory()
    response = client_for(patient.user).patch(
        f"{URL}me/",
        {
            "address": "Lindenstr. 3",
            "phone": "+49 1",
            "user": str(other.pk),
            "user_id": str(other.pk),
            "email": "new@example.com",
            "points_balance": 1000,
            "roles": ["platform_admin"],
        },
    )
    assert response.status_code == 200, response.content
    patient.refresh_from_db()
    assert patient.address == "Lindenstr. 3"
    assert patient.user.phone == "+49 1"
    assert patient.user_id != other.pk
    assert patient.user.email != "new@example.com"
    assert list(patient.user.roles.values_list("role", flat=True)) == ["patient"]


@pytest.mark.parametrize(
    ("payload", "attr", "code"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "future_date"),
        ({"date_of_birth": "x"}, "date_of_birth", "invalid"),
        ({"gender": "x"}, "gender", "invalid_choice"),
    ],
)
def test_bad_patient_update(client_for, payload, attr, code):
    patient = PatientFactory()
    assert_error(client_for(patient.user).patch(f"{URL}me/", payload), 400, code, attr=attr)


def test_role_grant_needs_the_matching_profile(client_for):
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    user = UserFactory()
    response = admin.post(f"/api/v1/users/{user.pk}/roles/", {"role": "doctor"})
    assert_error(response, 409, "profile_missing")
    response = admin.post(f"/api/v1/users/{user.pk}/roles/", {"role": "platform_admin"})
    assert response.status_code == 201
    assert response.json()["role"] == "platform_admin"
    assert list(user.roles.values_list("role", flat=True)) == ["platform_admin"]
    assert_error(
        admin.post(f"/api/v1/users/{user.pk}/roles/", {"role": "king"}),
        400,
        "invalid_choice",
        attr="role",
    )
    assert_error(admin.delete(f"/api/v1/users/{user.pk}/roles/doctor/"), 404, "not_found")
    assert_error(admin.get(f"/api/v1/users/{DoctorFactory().pk}/roles/"), 404, "not_found")


def test_platform_admin_cannot_revoke_their_own_admin_role(client_for):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    response = client_for(admin).delete(f"/api/v1/users/{admin.pk}/roles/platform_admin/")
    assert_error(response, 409, "cannot_revoke_own_admin")
    assert admin.roles.filter(role=Role.PLATFORM_ADMIN).exists()


def test_a_users_roles_are_paginated(client_for):
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    user = UserFactory()
    admin.post(f"/api/v1/users/{user.pk}/roles/", {"role": "platform_admin"})
    grant_role(user=user, role=Role.CLINIC_ADMIN)

    response = admin.get(f"/api/v1/users/{user.pk}/roles/?page_size=1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["previous"], [r["role"] for r in body["results"]]) == (
        2,
        None,
        ["clinic_admin"],
    )
    rest = admin.get(body["next"]).json()
    assert ([r["role"] for r in rest["results"]], rest["next"]) == (["platform_admin"], None)
    assert_error(
        admin.get(f"/api/v1/users/{user.pk}/roles/?page_size=-1"), 400, "invalid", "page_size"
    )

"""Dependents (docs/families.md): profiles without an account, added and corrected by their
guardian, who sees only their own."""

from datetime import date

import pytest
from django.utils import timezone

from accounts.models import UserRole
from patients.models import Guardianship, Patient
from patients.services import coming_of_age
from tests.errors import assert_error
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/dependents/"


def years_ago(years: int) -> date:
    today = timezone.localdate()
    return date(today.year - years, today.month, min(today.day, 28))


def child(**fields) -> dict:
    return {
        "first_name": "Mia",
        "last_name": "Patient",
        "date_of_birth": str(years_ago(6)),
        "relationship": "child",
    } | fields


def test_a_patient_adds_a_child_without_an_account(client_for):
    guardian = PatientFactory()
    response = client_for(guardian.user).post(URL, child(gender="female"))
    assert response.status_code == 201, response.content
    body = response.json()
    dependent = Patient.objects.select_related("user").get(pk=body["id"])
    assert body == {
        "id": str(dependent.pk),
        "first_name": "Mia",
        "last_name": "Patient",
        "date_of_birth": str(years_ago(6)),
        "gender": "female",
        "relationship": "child",
        "access_ends_on": str(coming_of_age(years_ago(6))),
        "created_at": body["created_at"],
    }
    assert coming_of_age(years_ago(6)) == years_ago(-12)
    # Nobody logs in as a dependent: no password, no role, an unroutable address.
    assert dependent.is_dependent
    assert not dependent.user.has_usable_password()
    assert not UserRole.objects.filter(user=dependent.user).exists()
    assert dependent.user.email.endswith("@dependents.careslot.invalid")
    login = client_for().post(
        "/api/v1/auth/login/", {"email": dependent.user.email, "password": "x" * 12}
    )
    assert login.status_code == 401
    listed = client_for(guardian.user).get(URL).json()["results"]
    assert [row["id"] for row in listed] == [str(dependent.pk)]


def test_an_adult_in_care_has_no_end_of_access(client_for):
    guardian = PatientFactory()
    body = client_for(guardian.user).post(
        URL, child(first_name="Opa", date_of_birth="1940-05-01", relationship="grandparent")
    )
    assert body.status_code == 201
    assert body.json()["access_ends_on"] is None


def test_majority_comes_on_the_birthday_and_leap_days_on_1_march(settings):
    settings.AGE_OF_MAJORITY = 18
    assert coming_of_age(date(2000, 6, 15)) == date(2018, 6, 15)
    assert coming_of_age(date(2000, 2, 29)) == date(2018, 3, 1)
    settings.AGE_OF_MAJORITY = 16
    assert coming_of_age(date(2000, 6, 15)) == date(2016, 6, 15)


def test_bad_input_is_refused_field_by_field(client_for):
    guardian = PatientFactory()
    client = client_for(guardian.user)
    assert_error(client.post(URL, {}), 400, "required", "first_name")
    assert_error(client.post(URL, child(relationship="pet")), 400, "invalid_choice", "relationship")
    assert_error(client.post(URL, child(date_of_birth="2999-01-01")), 400, "future_date")
    assert_error(client.post(URL, child(first_name=7)), 400, "invalid", "first_name")
    assert_error(client.post(URL, child(gender="x")), 400, "invalid_choice", "gender")
    assert not Guardianship.objects.exists()


def test_the_number_of_dependents_is_capped(client_for, settings):
    settings.MAX_DEPENDENTS_PER_PATIENT = 1
    client = client_for(PatientFactory().user)
    assert client.post(URL, child()).status_code == 201
    assert_error(client.post(URL, child(first_name="Leo")), 409, "dependent_limit_reached")


def test_a_guardian_corrects_the_birth_date_and_the_end_of_access_follows(client_for):
    guardian = PatientFactory()
    client = client_for(guardian.user)
    dependent_id = client.post(URL, child()).json()["id"]
    born = years_ago(10)
    response = client.patch(f"{URL}{dependent_id}/", {"date_of_birth": str(born), "last_name": "P"})
    assert response.status_code == 200, response.content
    assert response.json()["access_ends_on"] == str(coming_of_age(born))
    assert response.json()["last_name"] == "P"
    grown = client.patch(f"{URL}{dependent_id}/", {"date_of_birth": "1950-01-01"})
    assert grown.json()["access_ends_on"] is None
    assert_error(client.patch(f"{URL}{dependent_id}/", {"relationship": ""}), 400, "invalid_choice")


def test_others_never_see_a_patients_dependents(client_for):
    guardian = PatientFactory()
    dependent_id = client_for(guardian.user).post(URL, child()).json()["id"]
    stranger = client_for(PatientFactory().user)
    assert stranger.get(URL).json()["results"] == []
    assert_error(stranger.get(f"{URL}{dependent_id}/"), 404, "not_found")
    assert_error(stranger.patch(f"{URL}{dependent_id}/", {"last_name": "X"}), 404, "not_found")
    assert_error(stranger.get(f"/api/v1/patients/{dependent_id}/"), 404, "not_found")
    # The guardian sees the profile, and may change it only through /dependents/.
    own = client_for(guardian.user)
    assert own.get(f"/api/v1/patients/{dependent_id}/").status_code == 200
    assert_error(
        own.patch(f"/api/v1/patients/{dependent_id}/", {"last_name": "X"}), 403, "permission_denied"
    )


def test_a_dependent_cannot_add_dependents(client_for):
    from patients.services import DependentNotAllowed, add_dependent

    guardianship = add_dependent(
        guardian=PatientFactory(),
        first_name="Mia",
        last_name="P",
        date_of_birth=years_ago(5),
        relationship="child",
    )
    with pytest.raises(DependentNotAllowed):
        add_dependent(
            guardian=guardianship.dependent,
            first_name="X",
            last_name="Y",
            date_of_birth=years_ago(1),
            relationship="child",
        )

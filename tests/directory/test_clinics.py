import pytest

from accounts.models import Role
from clinics.models import Clinic
from clinics.permissions import administers_clinic
from tests.errors import assert_error
from tests.factories import ClinicFactory, UserFactory, clinic_admin_of, user_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/clinics/"
VALID = {
    "name": "Praxis am Park",
    "address": "Parkweg 1",
    "city": "Munich",
    "country": "DE",
    "timezone": "Europe/Berlin",
}


@pytest.fixture
def admin(client_for):
    return client_for(user_with_role(Role.PLATFORM_ADMIN))


def test_platform_admin_creates_a_clinic_with_a_generated_slug(admin):
    response = admin.post(URL, VALID)
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "praxis-am-park"
    assert Clinic.objects.get(slug="praxis-am-park").timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("override", "attr", "code"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "invalid_timezone"),
        ({"timezone": ""}, "timezone", "blank"),
        ({"country": "Germany"}, "country", "invalid"),
        ({"email": "nope"}, "email", "invalid"),
        ({"name": ""}, "name", "blank"),
    ],
)
def test_bad_clinic_input_is_a_field_error(admin, override, attr, code):
    assert_error(admin.post(URL, {**VALID, **override}), 400, code, attr=attr)


def test_duplicate_slug_is_refused(admin):
    ClinicFactory(slug="praxis-am-park")
    response = admin.post(URL, {**VALID, "slug": "praxis-am-park"})
    assert_error(response, 400, "slug_taken", attr="slug")
    assert_error(admin.post(URL, VALID), 400, "slug_taken", attr="slug")


def test_clinic_admin_updates_own_clinic_but_not_its_active_flag(client_for):
    clinic = ClinicFactory()
    client = client_for(clinic_admin_of(clinic))
    response = client.patch(f"{URL}{clinic.pk}/", {"phone": "+49 89 1", "is_active": False})
    assert response.status_code == 200, response.content
    clinic.refresh_from_db()
    assert (clinic.phone, clinic.is_active) == ("+49 89 1", True)
    assert_error(
        client.patch(f"{URL}{clinic.pk}/", {"timezone": "Nowhere"}),
        400,
        "invalid_timezone",
        attr="timezone",
    )


def test_deactivated_clinic_leaves_the_directory_and_comes_back(admin, client_for):
    clinic = ClinicFactory()
    patient = client_for(user_with_role(Role.PATIENT))
    assert admin.delete(f"{URL}{clinic.pk}/").status_code == 204
    assert Clinic.objects.filter(pk=clinic.pk, is_active=False).exists()
    assert_error(patient.get(f"{URL}{clinic.pk}/"), 404, "not_found")
    assert patient.get(URL).json()["count"] == 0
    assert admin.get(f"{URL}?is_active=false").json()["count"] == 1
    assert admin.post(f"{URL}{clinic.pk}/activate/").status_code == 200
    assert patient.get(URL).json()["count"] == 1


def test_clinic_list_filters_by_city(client_for):
    for index in range(50):
        ClinicFactory(city="Berlin" if index % 2 else "Hamburg")
    client = client_for(user_with_role(Role.PATIENT))
    response = client.get(f"{URL}?page_size=50&city=berlin")
    assert response.json()["count"] == 25
    assert {clinic["city"] for clinic in response.json()["results"]} == {"Berlin"}


def test_assigning_a_clinic_admin_grants_role_and_permission_together(admin):
    clinic = ClinicFactory()
    user = UserFactory()
    response = admin.post(f"{URL}{clinic.pk}/admins/", {"user": str(user.pk)})
    assert response.status_code == 201, response.content
    assert user.roles.filter(role=Role.CLINIC_ADMIN).exists()
    assert administers_clinic(user, clinic)
    listed = admin.get(f"{URL}{clinic.pk}/admins/").json()
    assert [a["id"] for a in listed["results"]] == [str(user.pk)]

    assert admin.delete(f"{URL}{clinic.pk}/admins/{user.pk}/").status_code == 204
    user = type(user).objects.get(pk=user.pk)
    assert not administers_clinic(user, clinic)
    assert not user.roles.filter(role=Role.CLINIC_ADMIN).exists()


def test_removing_one_clinic_keeps_the_role_for_the_other(admin):
    first, second = ClinicFactory(), ClinicFactory()
    user = clinic_admin_of(first)
    added = admin.post(f"{URL}{second.pk}/admins/", {"user": str(user.pk)})
    assert added.status_code == 201, added.content
    removed = admin.delete(f"{URL}{first.pk}/admins/{user.pk}/")
    assert removed.status_code == 204, removed.content
    user = type(user).objects.get(pk=user.pk)  # guardian caches permissions on the instance
    assert (administers_clinic(user, first), administers_clinic(user, second)) == (False, True)
    assert user.roles.filter(role=Role.CLINIC_ADMIN).exists()


def test_clinic_admin_input_errors(admin):
    clinic = ClinicFactory()
    assert_error(
        admin.post(f"{URL}{clinic.pk}/admins/", {"user": "nope"}), 400, "invalid", attr="user"
    )
    inactive = UserFactory(is_active=False)
    response = admin.post(f"{URL}{clinic.pk}/admins/", {"user": str(inactive.pk)})
    assert_error(response, 400, "does_not_exist", attr="user")
    assert_error(admin.delete(f"{URL}{clinic.pk}/admins/{UserFactory().pk}/"), 404, "not_found")


def test_clinic_admin_of_another_clinic_cannot_list_its_admins(client_for):
    clinic, other = ClinicFactory(), ClinicFactory()
    client = client_for(clinic_admin_of(other))
    assert_error(client.get(f"{URL}{clinic.pk}/admins/"), 403, "permission_denied")


def test_a_clinics_admins_are_paginated_in_email_order(admin):
    clinic = ClinicFactory()
    emails = sorted(clinic_admin_of(clinic, email=f"admin{i}@example.com").email for i in range(3))
    first = admin.get(f"{URL}{clinic.pk}/admins/?page_size=2")
    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["count"], body["previous"]) == (3, None)
    assert [a["email"] for a in body["results"]] == emails[:2]
    second = admin.get(body["next"]).json()
    assert ([a["email"] for a in second["results"]], second["next"]) == (emails[2:], None)
    assert second["previous"]


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("page_size=0", "page_size", "invalid"),
        ("page=x", "page", "invalid"),
        ("page=2", "page", "out_of_range"),
    ],
)
def test_a_clinics_admins_refuse_bad_paging(admin, query, attr, code):
    clinic = ClinicFactory()
    clinic_admin_of(clinic)
    response = admin.get(f"{URL}{clinic.pk}/admins/?{query}")
    assert_error(response, 400, code, attr=attr)

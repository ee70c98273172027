import pytest

from accounts.models import Role
from tests.errors import assert_error
from tests.factories import DoctorFactory, SpecialtyFactory, user_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/specialties/"


def test_anyone_lists_specialties(api_client):
    SpecialtyFactory(name="Cardiology", slug="cardiology")
    assert [s["slug"] for s in api_client.get(URL).json()["results"]] == ["cardiology"]


def test_specialty_in_use_cannot_be_deleted(client_for):
    doctor = DoctorFactory()
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    assert_error(admin.delete(f"{URL}{doctor.specialty_id}/"), 409, "specialty_in_use")


def test_duplicate_specialty_is_a_field_error(client_for):
    SpecialtyFactory(name="Cardiology", slug="cardiology")
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    assert_error(
        admin.post(URL, {"name": "Cardiology", "slug": "cardio"}), 400, "unique", attr="name"
    )
    assert_error(
        admin.post(URL, {"name": "Heart", "slug": "bad slug"}), 400, "invalid", attr="slug"
    )

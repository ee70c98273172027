import pytest

from accounts.models import Role
from tests.errors import assert_error
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/auth/me/"


def test_me_shows_the_account_and_roles(client_for):
    user = user_with_role(Role.DOCTOR, email="me@example.com")
    body = client_for(user).get(ME_URL).json()
    assert body["email"] == "me@example.com"
    assert body["roles"] == ["doctor"]
    assert body["email_confirmed"] is True


def test_me_update_changes_only_name_and_phone(client_for):
    user = UserFactory(email="me@example.com")
    response = client_for(user).patch(
        ME_URL,
        {
            "first_name": "Ada",
            "phone": "+49 30 1234",
            "email": "evil@example.com",
            "is_active": False,
            "roles": ["platform_admin"],
        },
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.first_name, user.phone, user.email, user.is_active) == (
        "Ada",
        "+49 30 1234",
        "me@example.com",
        True,
    )
    assert response.json()["roles"] == []


def test_me_update_rejects_bad_input(client_for):
    response = client_for(UserFactory()).patch(ME_URL, {"first_name": ""})
    assert_error(response, 400, "blank", attr="first_name")


def test_me_needs_authentication(api_client):
    assert_error(api_client.get(ME_URL), 401, "not_authenticated")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    assert_error(api_client.get(ME_URL), 401, "token_not_valid")

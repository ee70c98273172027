import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.services import issue_tokens
from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"


@pytest.fixture
def user():
    return UserFactory(email="pat@example.com")


def bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_login_returns_a_working_token_pair(api_client, user):
    response = api_client.post(LOGIN_URL, {"email": "PAT@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["email"] == "pat@example.com"
    me = bearer(api_client, body["access"]).get(ME_URL)
    assert me.status_code == 200
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "pat@example.com", "password": "wrong-password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
)
def test_wrong_credentials_are_refused_alike(api_client, user, payload):
    assert_error(api_client.post(LOGIN_URL, payload), 401, "invalid_credentials")


def test_inactive_user_cannot_log_in(api_client, user):
    user.is_active = False
    user.save()
    response = api_client.post(LOGIN_URL, {"email": "pat@example.com", "password": PASSWORD})
    assert_error(response, 401, "invalid_credentials")


def test_login_input_errors_are_field_errors(api_client):
    assert_error(api_client.post(LOGIN_URL, {"email": "x"}), 400, "required", attr="password")
    assert_error(api_client.post(LOGIN_URL, {"password": "x"}), 400, "required", attr="email")


def test_login_is_throttled_with_the_error_shape(api_client, user):
    for _ in range(10):
        api_client.post(LOGIN_URL, {"email": "pat@example.com", "password": "wrong"})
    response = api_client.post(LOGIN_URL, {"email": "pat@example.com", "password": PASSWORD})
    assert_error(response, 429, "throttled")
    assert "Retry-After" in response


def test_issued_refresh_token_is_recorded_exactly(user):
    tokens = issue_tokens(user=user)
    assert OutstandingToken.objects.get(user=user).token == tokens["refresh"]


def test_refresh_rotates_and_the_new_refresh_token_keeps_rotating(api_client, user):
    tokens = issue_tokens(user=user)
    for _ in range(3):
        response = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]})
        assert response.status_code == 200, response.content
        rotated = response.json()
        assert rotated["refresh"] != tokens["refresh"]
        assert bearer(api_client, rotated["access"]).get(ME_URL).status_code == 200
        api_client.credentials()
        tokens = rotated


def test_refresh_token_is_unusable_after_logout(api_client, user):
    tokens = issue_tokens(user=user)
    response = bearer(api_client, tokens["access"]).post(LOGOUT_URL, {"refresh": tokens["refresh"]})
    assert response.status_code == 204
    api_client.credentials()
    assert_error(
        api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401, "token_not_valid"
    )


def test_logout_refuses_someone_elses_refresh_token(api_client, user):
    other = issue_tokens(user=UserFactory())
    mine = issue_tokens(user=user)
    response = bearer(api_client, mine["access"]).post(LOGOUT_URL, {"refresh": other["refresh"]})
    assert_error(response, 401, "token_not_valid")
    api_client.credentials()
    assert api_client.post(REFRESH_URL, {"refresh": other["refresh"]}).status_code == 200


def test_logout_needs_authentication(api_client, user):
    tokens = issue_tokens(user=user)
    assert_error(
        api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}), 401, "not_authenticated"
    )


def test_garbage_refresh_token_is_refused(api_client):
    assert_error(api_client.post(REFRESH_URL, {"refresh": "not.a.jwt"}), 401, "token_not_valid")
    assert_error(api_client.post(REFRESH_URL, {}), 400, "required", attr="refresh")


def test_access_token_cannot_be_used_as_refresh_token(api_client, user):
    tokens = issue_tokens(user=user)
    assert_error(
        api_client.post(REFRESH_URL, {"refresh": tokens["access"]}), 401, "token_not_valid"
    )


def test_deactivated_user_is_refused_with_a_still_valid_access_token(api_client, user):
    tokens = issue_tokens(user=user)
    bearer(api_client, tokens["access"])
    assert api_client.get(ME_URL).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_error(api_client.get(ME_URL), 401, "user_inactive")
    api_client.credentials()
    assert_error(
        api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401, "token_not_valid"
    )


def test_token_issued_before_a_revocation_is_refused(api_client, user):
    tokens = issue_tokens(user=user)
    user.token_version += 1
    user.save(update_fields=["token_version"])
    assert_error(bearer(api_client, tokens["access"]).get(ME_URL), 401, "token_revoked")


def test_unconfirmed_user_is_refused_even_with_right_password(api_client):
    UserFactory(email="late@example.com", email_confirmed_at=None)
    response = api_client.post(LOGIN_URL, {"email": "late@example.com", "password": PASSWORD})
    assert_error(response, 403, "email_not_confirmed")


def test_confirmed_users_login_updates_last_login(api_client, user):
    before = timezone.now()
    api_client.post(LOGIN_URL, {"email": "pat@example.com", "password": PASSWORD})
    user.refresh_from_db()
    assert user.last_login >= before

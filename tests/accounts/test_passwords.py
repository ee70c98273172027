from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework_simplejwt.tokens import UntypedToken

from accounts.models import TokenFamily
from accounts.services import issue_tokens
from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

RESET_URL = "/api/v1/auth/password/reset/"
RESET_CONFIRM_URL = "/api/v1/auth/password/reset/confirm/"
CHANGE_URL = "/api/v1/auth/password/change/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
ME_URL = "/api/v1/auth/me/"
NEW_PASSWORD = "Another-Long-Passphrase-77"


@pytest.fixture
def user():
    return UserFactory(email="reset.me@example.com")


def open_sessions(user, count=3) -> list[str]:
    """Refresh tokens of `count` separate logins (devices) of `user`."""
    return [issue_tokens(user=user)["refresh"] for _ in range(count)]


def assert_all_revoked(client, refresh_tokens):
    client.credentials()
    for raw in refresh_tokens:
        assert_error(client.post(REFRESH_URL, {"refresh": raw}), 401, "token_not_valid")
    # their sessions ended, not only outdated by the token version
    families = [UntypedToken(raw)["fam"] for raw in refresh_tokens]
    ended = TokenFamily.objects.filter(pk__in=families, end_reason="revoked")
    assert ended.count() == len(refresh_tokens)


def reset_link(user):
    return {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


def test_reset_request_for_unknown_email_answers_exactly_like_a_known_one(
    api_client, user, outbox, run_tasks
):
    known = api_client.post(RESET_URL, {"email": "Reset.Me@example.com"})
    unknown = api_client.post(RESET_URL, {"email": "ghost@example.com"})
    assert run_tasks() == 2

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    # Every header alike but the request id, random per request (common.request_log), and the
    # throttle's countdown, which the second request spent one more of.
    assert known["X-Request-ID"] != unknown["X-Request-ID"]
    assert int(known["RateLimit-Remaining"]) == int(unknown["RateLimit-Remaining"]) + 1
    for header in ("X-Request-ID", "RateLimit-Remaining", "RateLimit-Reset"):
        del known.headers[header], unknown.headers[header]
    assert dict(known.headers) == dict(unknown.headers)
    assert [message.to for message in outbox] == [["reset.me@example.com"]]
    assert "reset-password?uid=" in outbox[0].body


def test_reset_request_for_inactive_account_sends_nothing(api_client, user, outbox, run_tasks):
    user.is_active = False
    user.save()
    assert api_client.post(RESET_URL, {"email": user.email}).status_code == 202
    assert run_tasks() == 1
    assert outbox == []


def test_reset_confirm_sets_the_password_and_logs_out_every_session(api_client, user):
    old_tokens = issue_tokens(user=user)
    response = api_client.post(
        RESET_CONFIRM_URL, {**reset_link(user), "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.content

    login = api_client.post(LOGIN_URL, {"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 200
    assert_error(
        api_client.post(REFRESH_URL, {"refresh": old_tokens["refresh"]}), 401, "token_not_valid"
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old_tokens['access']}")
    assert_error(api_client.get(ME_URL), 401, "token_revoked")


def test_reset_confirm_revokes_every_refresh_token(api_client, user):
    sessions = open_sessions(user)
    response = api_client.post(
        RESET_CONFIRM_URL, {**reset_link(user), "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.content
    assert_all_revoked(api_client, sessions)


def test_reset_link_is_single_use(api_client, user):
    link = reset_link(user)
    assert (
        api_client.post(RESET_CONFIRM_URL, {**link, "new_password": NEW_PASSWORD}).status_code
        == 200
    )
    response = api_client.post(RESET_CONFIRM_URL, {**link, "new_password": "Third-Passphrase-99x"})
    assert_error(response, 400, "invalid_token")


def test_expired_reset_link_is_refused(api_client, user):
    link = reset_link(user)
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 5)
    with time_machine.travel(later):
        response = api_client.post(RESET_CONFIRM_URL, {**link, "new_password": NEW_PASSWORD})
    assert_error(response, 400, "invalid_token")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "link",
    [
        {"uid": "bm9wZQ", "token": "abc-def"},
        {"uid": "!!!", "token": "abc-def"},
        {"uid": urlsafe_base64_encode(b"not-a-uuid"), "token": "abc-def"},
    ],
)
def test_garbage_reset_link_is_refused(api_client, user, link):
    response = api_client.post(RESET_CONFIRM_URL, {**link, "new_password": NEW_PASSWORD})
    assert_error(response, 400, "invalid_token")


def test_reset_with_weak_password_is_a_field_error_and_keeps_the_link_valid(api_client, user):
    link = reset_link(user)
    response = api_client.post(RESET_CONFIRM_URL, {**link, "new_password": "12345"})
    assert_error(response, 400, "password_too_short", attr="new_password")
    assert (
        api_client.post(RESET_CONFIRM_URL, {**link, "new_password": NEW_PASSWORD}).status_code
        == 200
    )


def test_reset_request_is_throttled(api_client):
    for _ in range(5):
        api_client.post(RESET_URL, {"email": "x@example.com"})
    assert_error(api_client.post(RESET_URL, {"email": "x@example.com"}), 429, "throttled")


def test_password_change_returns_new_tokens_and_revokes_old_ones(client_for, api_client, user):
    old = issue_tokens(user=user)
    response = client_for(user).post(
        CHANGE_URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.content
    new = response.json()
    client = api_client

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {new['access']}")
    assert client.get(ME_URL).status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert_error(client.get(ME_URL), 401, "token_revoked")
    client.credentials()
    assert_error(client.post(REFRESH_URL, {"refresh": old["refresh"]}), 401, "token_not_valid")


def test_password_change_revokes_every_refresh_token_but_the_new_one(client_for, user):
    sessions = open_sessions(user)
    client = client_for(user)
    response = client.post(CHANGE_URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200, response.content
    assert_all_revoked(client, sessions)
    assert client.post(REFRESH_URL, {"refresh": response.json()["refresh"]}).status_code == 200


def test_password_change_needs_the_current_password(client_for, user):
    response = client_for(user).post(
        CHANGE_URL, {"current_password": "not-it", "new_password": NEW_PASSWORD}
    )
    assert_error(response, 400, "wrong_password", attr="current_password")


def test_password_change_applies_the_validators(client_for, user):
    response = client_for(user).post(
        CHANGE_URL, {"current_password": PASSWORD, "new_password": "password"}
    )
    assert_error(response, 400, "password_too_common", attr="new_password")


def test_password_change_needs_authentication(api_client):
    response = api_client.post(CHANGE_URL, {"current_password": "a", "new_password": "b"})
    assert_error(response, 401, "not_authenticated")

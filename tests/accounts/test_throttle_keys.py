"""Each public throttle and the login lockout count per client: the socket address, or the
address the trusted proxy appended; never what the client wrote into X-Forwarded-For."""

import pytest
from django.conf import settings

from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER_URL = "/api/v1/auth/register/patient/"
RESET_URL = "/api/v1/auth/password/reset/"
RESEND_URL = "/api/v1/auth/email/resend/"
VICTIM = "victim@example.com"


def registration(i: int) -> dict:
    return {
        "email": f"new{i}@example.com",
        "password": PASSWORD,
        "first_name": "Anna",
        "last_name": "Berg",
        "date_of_birth": "1991-04-02",
    }


# (throttle scope, url, body of the i-th request, status while within the budget)
ENDPOINTS = [
    ("login", LOGIN_URL, lambda i: {"email": f"guess{i}@example.com", "password": "x"}, 401),
    ("register", REGISTER_URL, registration, 201),
    ("password_reset", RESET_URL, lambda i: {"email": VICTIM}, 202),
    ("confirmation_resend", RESEND_URL, lambda i: {"email": VICTIM}, 202),
]


def budget(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def spoof(i: int) -> str:
    return f"198.51.100.{i}, 192.0.2.{i}"


@pytest.fixture(autouse=True)
def victim():
    return UserFactory(email=VICTIM, email_confirmed_at=None)


@pytest.mark.parametrize(("scope", "url", "body", "accepted"), ENDPOINTS)
def test_without_a_proxy_the_budget_is_the_socket_address_s(api_client, scope, url, body, accepted):
    limit = budget(scope)
    for i in range(limit):
        response = api_client.post(
            url, body(i), REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=spoof(i)
        )
        assert response.status_code == accepted, (i, response.content)
    refused = api_client.post(url, body(limit), REMOTE_ADDR="10.0.0.5")
    assert_error(refused, 429, "throttled")
    other = api_client.post(url, body(limit + 1), REMOTE_ADDR="10.0.0.6")
    assert other.status_code == accepted


@pytest.mark.parametrize(("scope", "url", "body", "accepted"), ENDPOINTS)
def test_behind_one_proxy_the_budget_is_the_address_it_appended(
    api_client, settings, scope, url, body, accepted
):
    settings.TRUSTED_PROXY_COUNT = 1
    limit = budget(scope)

    def post(i: int, client: str):
        forwarded = f"{spoof(i)}, {client}"
        return api_client.post(url, body(i), REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)

    for i in range(limit):
        assert post(i, "203.0.113.7").status_code == accepted, i
    assert_error(post(limit, "203.0.113.7"), 429, "throttled")
    assert post(limit + 1, "203.0.113.8").status_code == accepted


def log_in(client, password: str, forwarded: str):
    return client.post(
        LOGIN_URL,
        {"email": "pat@example.com", "password": password},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def guess_until_locked(client, forwarded):
    UserFactory(email="pat@example.com")
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "wrong", forwarded(spoof(i)))
        assert_error(response, 401, "invalid_credentials")
    assert_error(log_in(client, "wrong", forwarded("192.0.2.97")), 429, "account_locked")
    assert_error(log_in(client, PASSWORD, forwarded("192.0.2.99")), 429, "account_locked")


def test_without_a_proxy_the_lockout_ignores_the_header(api_client):
    guess_until_locked(api_client, lambda spoofed: spoofed)
    assert_error(log_in(api_client, PASSWORD, "203.0.113.8"), 429, "account_locked")


def test_behind_one_proxy_the_lockout_holds_for_the_guesser_only(api_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    guess_until_locked(api_client, lambda spoofed: f"{spoofed}, 203.0.113.7")
    assert log_in(api_client, PASSWORD, "192.0.2.98, 203.0.113.8").status_code == 200

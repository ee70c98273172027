"""Login lockout (django-axes) on top of the per-client DRF throttle (docs/security.md)."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "pat@example.com"


@pytest.fixture
def user():
    return UserFactory(email=EMAIL)


def log_in(client, password, email=EMAIL, ip="10.0.0.1"):
    return client.post(LOGIN_URL, {"email": email, "password": password}, REMOTE_ADDR=ip)


def fail(client, times, **kwargs):
    for _ in range(times):
        assert_error(log_in(client, "wrong-password", **kwargs), 401, "invalid_credentials")


def test_the_lockout_trips_before_the_login_throttle():
    per_client, _ = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")
    assert settings.AXES_ENABLED
    assert int(per_client) > settings.AXES_FAILURE_LIMIT


def test_the_failure_that_reaches_the_limit_locks_the_account(api_client, user):
    fail(api_client, settings.AXES_FAILURE_LIMIT - 1)
    response = log_in(api_client, "wrong-password")
    assert_error(response, 429, "account_locked")
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))


def test_the_right_password_is_refused_during_the_lockout(api_client, user):
    fail(api_client, settings.AXES_FAILURE_LIMIT - 1)
    log_in(api_client, "wrong-password")

    response = log_in(api_client, PASSWORD)
    assert_error(response, 429, "account_locked")
    assert "access" not in response.json()


def test_the_lockout_ignores_the_case_of_the_email(api_client, user):
    fail(api_client, 2, email="Pat@Example.com")
    fail(api_client, 2, email="PAT@example.com")
    assert_error(log_in(api_client, "wrong-password"), 429, "account_locked")


def test_an_unknown_email_is_locked_out_alike(api_client):
    fail(api_client, settings.AXES_FAILURE_LIMIT - 1, email="ghost@example.com")
    assert_error(log_in(api_client, "wrong", email="ghost@example.com"), 429, "account_locked")


def test_a_successful_login_resets_the_count(api_client, user):
    fail(api_client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(api_client, PASSWORD).status_code == 200

    fail(api_client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(api_client, PASSWORD).status_code == 200


def test_the_lockout_ends_after_the_cool_off(api_client, user):
    fail(api_client, settings.AXES_FAILURE_LIMIT - 1)
    assert_error(log_in(api_client, "wrong-password"), 429, "account_locked")

    cool_off, now = settings.AXES_COOLOFF_TIME, timezone.now()
    with time_machine.travel(now + cool_off - timedelta(minutes=1)):
        assert_error(log_in(api_client, PASSWORD), 429, "account_locked")
    # that attempt restarted the cool-off
    with time_machine.travel(now + 2 * cool_off):
        assert log_in(api_client, PASSWORD).status_code == 200


def test_the_lockout_is_per_email_and_client(api_client, user):
    other = UserFactory(email="other@example.com")
    fail(api_client, settings.AXES_FAILURE_LIMIT - 1)
    assert_error(log_in(api_client, "wrong-password"), 429, "account_locked")

    assert log_in(api_client, PASSWORD, ip="10.0.0.2").status_code == 200
    assert log_in(api_client, PASSWORD, email=other.email).status_code == 200
    # the owner's login elsewhere does not clear the failures counted against this client
    assert_error(log_in(api_client, PASSWORD), 429, "account_locked")


def test_an_unconfirmed_account_is_locked_out_too(api_client):
    UserFactory(email="late@example.com", email_confirmed_at=None)
    fail(api_client, settings.AXES_FAILURE_LIMIT - 1, email="late@example.com")
    assert_error(log_in(api_client, "wrong", email="late@example.com"), 429, "account_locked")
    assert_error(log_in(api_client, PASSWORD, email="late@example.com"), 429, "account_locked")

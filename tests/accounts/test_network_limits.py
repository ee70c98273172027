"""Limits that a client rotating addresses cannot shake off (issue 28, finding 5): the throttle
and the lockout count per network (the /64 of an IPv6 address), failures of one account from
anywhere make it wait (exponential backoff, never a lock), and wrong current passwords at the
password change count like failed logins."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts import backoff
from common.client_ip import network_of
from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "pat@example.com"
CHANGE_URL = "/api/v1/auth/password/change/"
RESET_CONFIRM_URL = "/api/v1/auth/password/reset/confirm/"


def address_in_64(i: int) -> str:
    return f"2001:db8:1:2:{i:x}:{i * 7:x}:1:{i + 1:x}"


def log_in(client, password, *, ip, email=EMAIL):
    return client.post(LOGIN_URL, {"email": email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
        ("2001:db8:1:2::1", "2001:db8:1:2::"),
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("not an address", None),
        (None, None),
    ],
)
def test_the_network_of_an_address(address, network):
    assert network_of(address) == network


def test_rotating_addresses_inside_one_64_meets_the_login_throttle(api_client):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for i in range(limit):
        response = log_in(api_client, "x", ip=address_in_64(i), email=f"guess{i}@example.com")
        assert_error(response, 401, "invalid_credentials")
    refused = log_in(api_client, "x", ip=address_in_64(limit), email="guess@example.com")
    assert_error(refused, 429, "throttled")
    elsewhere = log_in(api_client, "x", ip="2001:db8:1:3::1", email="guess@example.com")
    assert_error(elsewhere, 401, "invalid_credentials")


def test_rotating_addresses_inside_one_64_meets_the_lockout(api_client):
    UserFactory(email=EMAIL)
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert_error(log_in(api_client, "wrong", ip=address_in_64(i)), 401, "invalid_credentials")
    assert_error(log_in(api_client, "wrong", ip=address_in_64(50)), 429, "account_locked")
    assert_error(log_in(api_client, PASSWORD, ip=address_in_64(51)), 429, "account_locked")
    assert log_in(api_client, PASSWORD, ip="2001:db8:9::1").status_code == 200


def spread_failures(client, count, *, email=EMAIL, first=0):
    """`count` failed logins for `email`, each from a network of its own (no lockout applies)."""
    for i in range(first, first + count):
        assert_error(
            log_in(client, "wrong", ip=f"198.51.100.{i}", email=email), 401, "invalid_credentials"
        )


def test_failures_from_many_networks_make_the_account_wait(api_client):
    UserFactory(email=EMAIL)
    free = settings.LOGIN_BACKOFF_FREE_FAILURES
    spread_failures(api_client, free)

    refused = log_in(api_client, PASSWORD, ip="203.0.113.1")
    assert_error(refused, 429, "login_backoff")
    assert int(refused["Retry-After"]) == settings.LOGIN_BACKOFF_BASE_SECONDS
    assert "access" not in refused.json()


def test_the_wait_doubles_with_each_failure_and_stops_at_the_maximum(api_client):
    UserFactory(email=EMAIL)
    free, base = settings.LOGIN_BACKOFF_FREE_FAILURES, settings.LOGIN_BACKOFF_BASE_SECONDS
    spread_failures(api_client, free)
    waits = []
    now = timezone.now()
    for n in range(8):
        now += timedelta(seconds=settings.LOGIN_BACKOFF_MAX_SECONDS + 1)
        with time_machine.travel(now, tick=False):
            assert_error(log_in(api_client, "wrong", ip=f"192.0.2.{n}"), 401, "invalid_credentials")
            waits.append(int(log_in(api_client, "wrong", ip="192.0.2.200")["Retry-After"]))
    assert waits == [min(base * 2 ** (n + 1), settings.LOGIN_BACKOFF_MAX_SECONDS) for n in range(8)]


def test_the_real_user_gets_in_once_the_wait_is_over(api_client):
    UserFactory(email=EMAIL)
    spread_failures(api_client, settings.LOGIN_BACKOFF_FREE_FAILURES)
    later = timezone.now() + timedelta(seconds=settings.LOGIN_BACKOFF_BASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert log_in(api_client, PASSWORD, ip="203.0.113.1").status_code == 200
        # the success cleared the failures: the next wrong password is a plain 401
        assert_error(log_in(api_client, "wrong", ip="203.0.113.1"), 401, "invalid_credentials")


def test_a_password_reset_clears_the_wait(api_client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = UserFactory(email=EMAIL)
    spread_failures(api_client, settings.LOGIN_BACKOFF_FREE_FAILURES)
    assert_error(log_in(api_client, PASSWORD, ip="203.0.113.1"), 429, "login_backoff")
    new = "Another-Long-Passphrase-77"
    link = {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "new_password": new,
    }
    assert api_client.post(RESET_CONFIRM_URL, link).status_code == 200
    assert log_in(api_client, new, ip="203.0.113.1").status_code == 200


def test_the_backoff_counts_an_email_whatever_its_case_and_unknown_ones_alike(api_client):
    spread_failures(api_client, settings.LOGIN_BACKOFF_FREE_FAILURES, email="Ghost@Example.com")
    assert_error(
        log_in(api_client, "x", ip="203.0.113.1", email="ghost@example.com"), 429, "login_backoff"
    )
    assert backoff.wait_seconds("GHOST@example.com") > 0


def test_wrong_current_passwords_at_the_password_change_count_like_failed_logins(client_for):
    user = UserFactory(email=EMAIL)
    client = client_for(user)
    body = {"current_password": "wrong", "new_password": "Another-Long-Passphrase-77"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(CHANGE_URL, body, REMOTE_ADDR="203.0.113.1")
        assert_error(response, 400, "wrong_password")
    assert_error(client.post(CHANGE_URL, body, REMOTE_ADDR="203.0.113.1"), 429, "account_locked")
    right = {**body, "current_password": PASSWORD}
    assert_error(client.post(CHANGE_URL, right, REMOTE_ADDR="203.0.113.1"), 429, "account_locked")
    # and the login from that network is locked as well
    assert_error(log_in(client, PASSWORD, ip="203.0.113.1"), 429, "account_locked")


def test_wrong_current_passwords_from_many_networks_meet_the_backoff(client_for):
    user = UserFactory(email=EMAIL)
    client = client_for(user)
    body = {"current_password": "wrong", "new_password": "Another-Long-Passphrase-77"}
    for i in range(settings.LOGIN_BACKOFF_FREE_FAILURES):
        response = client.post(CHANGE_URL, body, REMOTE_ADDR=f"198.51.100.{i}")
        assert_error(response, 400, "wrong_password")
    right = {**body, "current_password": PASSWORD}
    refused = client.post(CHANGE_URL, right, REMOTE_ADDR="203.0.113.1")
    assert_error(refused, 429, "login_backoff")
    assert refused["Retry-After"]

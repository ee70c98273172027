"""Refresh-token families (RFC 9700 §4.14.2): rotation, reuse detection, logout."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import TokenFamily
from accounts.services import issue_tokens
from accounts.tokens import TOKEN_VERSION_CLAIM
from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"


@pytest.fixture
def user():
    return UserFactory(email="fam@example.com")


def refresh(client, raw: str):
    client.credentials()
    return client.post(REFRESH_URL, {"refresh": raw})


def me(client, access: str):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME_URL)


def test_presenting_a_rotated_token_again_ends_the_whole_family(api_client, user):
    login = issue_tokens(user=user)
    second = refresh(api_client, login["refresh"]).json()
    third = refresh(api_client, second["refresh"]).json()
    other_session = issue_tokens(user=user)

    # The thief replays the first token after the owner rotated it twice.
    assert_error(refresh(api_client, login["refresh"]), 401, "refresh_token_reused")

    assert TokenFamily.objects.get(pk=login_family(login)).end_reason == "reuse"
    assert_error(refresh(api_client, third["refresh"]), 401, "token_not_valid")
    for pair in (login, second, third):
        assert_error(me(api_client, pair["access"]), 401, "token_revoked")
    # Only that login's family: the owner's other session goes on.
    assert me(api_client, other_session["access"]).status_code == 200
    assert refresh(api_client, other_session["refresh"]).status_code == 200


def test_after_a_reuse_the_owner_logs_in_again(api_client, user):
    login = issue_tokens(user=user)
    refresh(api_client, login["refresh"])
    assert_error(refresh(api_client, login["refresh"]), 401, "refresh_token_reused")
    assert_error(refresh(api_client, login["refresh"]), 401, "refresh_token_reused")

    api_client.credentials()
    fresh = api_client.post(LOGIN_URL, {"email": user.email, "password": PASSWORD})
    assert fresh.status_code == 200, fresh.content
    assert refresh(api_client, fresh.json()["refresh"]).status_code == 200


def test_logout_ends_the_family_for_refresh_and_access_tokens(api_client, user):
    login = issue_tokens(user=user)
    rotated = refresh(api_client, login["refresh"]).json()

    # Logging out with any token of the family (here an old one) ends all of it.
    response = me(api_client, rotated["access"])
    assert response.status_code == 200
    assert api_client.post(LOGOUT_URL, {"refresh": login["refresh"]}).status_code == 204

    assert TokenFamily.objects.get(pk=login_family(login)).end_reason == "logout"
    assert_error(refresh(api_client, rotated["refresh"]), 401, "token_not_valid")
    assert_error(me(api_client, rotated["access"]), 401, "token_revoked")


def test_logout_twice_is_refused_the_second_time(api_client, user):
    login = issue_tokens(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access']}")
    assert api_client.post(LOGOUT_URL, {"refresh": login["refresh"]}).status_code == 204
    assert_error(api_client.post(LOGOUT_URL, {"refresh": login["refresh"]}), 401, "token_revoked")


def test_a_refresh_token_without_a_family_is_refused(api_client, user):
    # Tokens issued before families existed: the owner logs in again once.
    legacy = RefreshToken.for_user(user)
    legacy[TOKEN_VERSION_CLAIM] = user.token_version
    assert_error(refresh(api_client, str(legacy)), 401, "token_not_valid")


def test_a_forged_family_claim_is_refused(api_client, user):
    login = issue_tokens(user=user)
    other = issue_tokens(user=UserFactory())
    token = RefreshToken(login["refresh"])
    token["fam"] = login_family(other)
    assert_error(refresh(api_client, str(token)), 401, "token_not_valid")
    assert TokenFamily.objects.filter(ended_at__isnull=False).count() == 0


def test_refresh_costs_three_queries_and_the_family_check_none(
    api_client, user, django_assert_num_queries
):
    login = issue_tokens(user=user)
    # user, simplejwt's blacklist check, the conditional UPDATE
    with django_assert_num_queries(3):
        rotated = refresh(api_client, login["refresh"]).json()
    unbound = AccessToken.for_user(user)
    unbound[TOKEN_VERSION_CLAIM] = user.token_version
    with CaptureQueriesContext(connection) as without_family:
        assert me(api_client, str(unbound)).status_code == 200
    # The family row is read with its user, in place of the plain user lookup.
    with django_assert_num_queries(len(without_family)):
        assert me(api_client, rotated["access"]).status_code == 200


def login_family(pair) -> str:
    return RefreshToken(pair["refresh"])["fam"]


def test_a_session_ends_at_its_maximum_age_however_often_it_is_refreshed(
    api_client, user, settings
):
    """Refreshing every six days kept a session alive forever; now it ends SESSION_MAX_AGE
    after the login, and the last refresh token before that expires with the session."""
    settings.SESSION_MAX_AGE = timedelta(days=30)
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        current = issue_tokens(user=user)["refresh"]
    for day in (6, 12, 18, 24):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            response = refresh(api_client, current)
            assert response.status_code == 200, (day, response.content)
            current = response.json()["refresh"]
    # Refreshed on day 24: a week's lifetime would reach day 31, the session ends on day 30.
    assert RefreshToken(current, verify=False)["exp"] == int(
        (start + timedelta(days=30)).timestamp()
    )
    with time_machine.travel(start + timedelta(days=29, hours=23), tick=False):
        response = refresh(api_client, current)
        assert response.status_code == 200
        current = response.json()["refresh"]
    with time_machine.travel(start + timedelta(days=30, seconds=1), tick=False):
        assert_error(refresh(api_client, current), 401, "token_not_valid")


def test_a_session_older_than_the_maximum_age_is_ended_on_its_next_refresh(
    api_client, user, settings
):
    """Its refresh token has not expired (the cap was lowered, or it predates the claim): the
    family's age decides, and the session is ended with its reason."""
    login = issue_tokens(user=user)
    TokenFamily.objects.filter(user=user).update(created_at=timezone.now() - timedelta(days=31))
    assert_error(refresh(api_client, login["refresh"]), 401, "session_expired")
    family = TokenFamily.objects.get(user=user)
    assert (family.end_reason, family.ended_at is not None) == ("expired", True)
    assert_error(me(api_client, login["access"]), 401, "token_revoked")

"""Parallel refreshes with one refresh token: exactly one wins, and the race ends the session
(a thief racing the owner looks exactly like this). Real threads, real PostgreSQL connections,
real HTTP stack, real JWTs."""

from collections import Counter

import pytest

from accounts.models import TokenFamily
from accounts.services import issue_tokens
from tests.concurrency.race import run_together
from tests.conftest import CheckedAPIClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

REFRESH_URL = "/api/v1/auth/token/refresh/"
ME_URL = "/api/v1/auth/me/"
THREADS = 10


def refresh_call(raw: str):
    def call():
        response = CheckedAPIClient().post(REFRESH_URL, {"refresh": raw})
        body = response.json()
        code = body["errors"][0]["code"] if response.status_code >= 400 else None
        return response.status_code, code, body

    return call


def me_status(access: str) -> tuple[int, str | None]:
    client = CheckedAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = client.get(ME_URL)
    return response.status_code, response.json().get("errors", [{}])[0].get("code")


@pytest.mark.parametrize("round_", range(3))
def test_ten_parallel_refreshes_with_one_token_have_exactly_one_winner(round_):
    user = UserFactory()
    tokens = issue_tokens(user=user)

    results = run_together([refresh_call(tokens["refresh"]) for _ in range(THREADS)])

    assert Counter((status, code) for status, code, _ in results) == {
        (200, None): 1,
        (401, "refresh_token_reused"): THREADS - 1,
    }, results
    [winner] = [body for status, _, body in results if status == 200]
    family = TokenFamily.objects.get(user=user)
    assert (family.end_reason, family.ended_at is not None) == ("reuse", True)
    # Nobody can tell the owner from a thief here, so no fork survives: not the winner's new
    # refresh token, not its access token, not the original pair.
    _, code, _ = refresh_call(winner["refresh"])()
    assert code == "token_not_valid"
    assert me_status(winner["access"]) == (401, "token_revoked")
    assert me_status(tokens["access"]) == (401, "token_revoked")


def test_racing_refreshes_of_two_sessions_do_not_disturb_each_other():
    user = UserFactory()
    first, second = issue_tokens(user=user), issue_tokens(user=user)

    results = run_together([refresh_call(first["refresh"]), refresh_call(second["refresh"])])

    assert [status for status, _, _ in results] == [200, 200], results
    assert TokenFamily.objects.filter(user=user, ended_at__isnull=True).count() == 2
    for _, _, body in results:
        assert me_status(body["access"]) == (200, None)

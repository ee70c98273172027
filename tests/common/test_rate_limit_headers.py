"""Throttled endpoints tell the client its budget (RateLimit-* headers, common.throttling), down
to the 429 with its Retry-After; endpoints without a throttle send none."""

import pytest
from django.conf import settings

from tests.errors import assert_error

pytestmark = pytest.mark.django_db

RESET_URL = "/api/v1/auth/password/reset/"


def test_each_answer_counts_down_the_budget_to_the_429(api_client):
    limit, window = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["password_reset"].split("/")
    limit = int(limit)
    assert window == "hour"
    for i in range(limit):
        response = api_client.post(RESET_URL, {"email": f"someone{i}@example.com"})
        assert response.status_code == 202
        assert response["RateLimit-Limit"] == str(limit)
        assert response["RateLimit-Remaining"] == str(limit - 1 - i)
        assert response["RateLimit-Policy"] == f"{limit};w=3600"
        assert 0 < int(response["RateLimit-Reset"]) <= 3600

    refused = api_client.post(RESET_URL, {"email": "late@example.com"})
    assert_error(refused, 429, "throttled")
    assert refused["RateLimit-Remaining"] == "0"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert int(refused["RateLimit-Reset"]) == pytest.approx(int(refused["Retry-After"]), abs=1)


def test_another_client_has_its_own_budget(api_client):
    api_client.post(RESET_URL, {"email": "a@example.com"}, REMOTE_ADDR="10.0.0.1")
    first = api_client.post(RESET_URL, {"email": "a@example.com"}, REMOTE_ADDR="10.0.0.1")
    other = api_client.post(RESET_URL, {"email": "a@example.com"}, REMOTE_ADDR="10.0.0.2")
    assert int(other["RateLimit-Remaining"]) == int(first["RateLimit-Remaining"]) + 1


def test_unthrottled_endpoints_send_no_rate_limit_headers(api_client):
    response = api_client.get("/api/v1/specialties/")
    assert response.status_code == 200
    assert not [name for name in response.headers if name.lower().startswith("ratelimit")]


def test_browsers_may_read_the_headers():
    exposed = set(settings.CORS_EXPOSE_HEADERS)
    assert {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= exposed

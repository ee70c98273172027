"""Security headers on every API response, errors included, in every environment."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_security_headers(response):
    for name, value in HEADERS.items():
        assert response.get(name) == value, (name, dict(response.headers))


def test_an_api_response_carries_the_security_headers(client_for):
    response = client_for(UserFactory()).get("/api/v1/auth/me/")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/api/v1/auth/me/"), ("get", "/api/v1/no-such-thing/"), ("post", "/healthz")],
)
def test_error_responses_carry_them_too(api_client, method, url):
    response = getattr(api_client, method)(url)
    assert response.status_code >= 400
    assert_security_headers(response)

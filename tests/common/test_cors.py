"""CORS: only the configured origins may call the API from a browser, without credentials."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.errors import assert_error
from tests.factories import LOGIN_URL

pytestmark = pytest.mark.django_db

APP = "https://app.careslot.example"
ME_URL = "/api/v1/auth/me/"


@pytest.fixture(autouse=True)
def _allowed_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP, "http://localhost:3000"]


def preflight(client, origin):
    return client.options(
        LOGIN_URL,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_an_allowed_origin_passes_the_preflight(api_client):
    response = preflight(api_client, APP)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_an_allowed_origin_can_read_responses_errors_included(api_client):
    response = api_client.get(ME_URL, HTTP_ORIGIN=APP)
    assert_error(response, 401, "not_authenticated")
    assert response["Access-Control-Allow-Origin"] == APP
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://app.careslot.example", "https://app.careslot.example.evil"],
)
def test_another_origin_gets_no_cors_headers(api_client, origin):
    for response in (preflight(api_client, origin), api_client.get(ME_URL, HTTP_ORIGIN=origin)):
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Headers" not in response


def test_an_empty_allow_list_lets_no_origin_through(api_client, settings):
    """The default itself (no CORS_ALLOWED_ORIGINS in the environment: an empty list) is read
    from a fresh process in tests/config/test_settings.py; here: what an empty list means."""
    assert preflight(api_client, APP)["Access-Control-Allow-Origin"] == APP
    settings.CORS_ALLOWED_ORIGINS = []
    for response in (preflight(api_client, APP), api_client.get(ME_URL, HTTP_ORIGIN=APP)):
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Headers" not in response


def test_a_wildcard_origin_is_refused_at_startup(settings):
    settings.CORS_ALLOWED_ORIGINS = ["*"]
    with pytest.raises(SystemCheckError, match=r"corsheaders\.E013"):
        call_command("check")

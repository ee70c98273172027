"""Every 4xx is in the JSON error shape, whichever layer refuses the request (issue 15.4): a wrong
Content-Type (415), an Accept the API cannot satisfy (406), a wrong method (405), a body over
MAX_REQUEST_BODY_BYTES (413), and errors of views that render something other than JSON (the
Swagger UI, the schema, static files), rewritten by common.middleware.JSONErrorMiddleware."""

import json

import pytest

from tests.common.body_targets import SECRET, TARGET_IDS, TARGETS, snapshot
from tests.errors import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_a_body_that_is_not_json_is_a_415(client_for, world, target, content_type):
    before = snapshot(world)
    raw = json.dumps(target.body(world))
    response = target.send(client_for, world, raw, content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert snapshot(world) == before


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/csv"])
def test_an_accept_the_api_cannot_satisfy_is_a_406(client_for, world, target, accept):
    before = snapshot(world)
    raw = json.dumps(target.body(world))
    response = target.send(client_for, world, raw, HTTP_ACCEPT=accept)
    assert_error(response, 406, "not_acceptable")
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("anonymous", "/healthz"),
        ("anonymous", "/readyz"),
        ("patient", "/api/v1/auth/me/"),
        ("patient", "/api/v1/appointments/"),
        ("platform_admin", "/api/v1/reports/bookings/"),
    ],
)
def test_reads_refuse_an_unsatisfiable_accept_with_a_406(client_for, world, role, url):
    response = client_for(world.actor(role)).get(url, HTTP_ACCEPT="application/xml")
    assert_error(response, 406, "not_acceptable")


READABLE = {"book", "me-update"}  # GET lists the appointments / reads the account


@pytest.mark.parametrize(
    ("target", "method"),
    [
        pytest.param(target, method, id=f"{target.name}-{method}")
        for target in TARGETS
        for method in ("PUT", "GET", "DELETE")
        if method != target.method and not (method == "GET" and target.name in READABLE)
    ],
)
def test_a_method_an_endpoint_lacks_is_a_405(client_for, world, target, method):
    response = client_for(target.actor(world)).generic(method, target.url(world))
    assert_error(response, 405, "method_not_allowed")
    assert target.method in response["Allow"]


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_a_body_over_the_limit_is_a_413_before_it_is_read(client_for, world, target, settings):
    before = snapshot(world)
    body = target.body(world) | {"padding": "x" * settings.MAX_REQUEST_BODY_BYTES}
    response = target.send(client_for, world, json.dumps(body))
    assert_error(response, 413, "request_too_large")
    assert snapshot(world) == before


def test_a_view_reading_an_oversized_body_itself_answers_413(client_for, world, settings):
    """Django's RequestDataTooBig inside a DRF view (the webhook reads request.body) is a 413 in
    the one error shape, not a 500, even where the size middleware lets the body through."""
    webhook = TARGETS[-1]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    before = snapshot(world)
    response = webhook.send(client_for, world, json.dumps(webhook.body(world)))
    assert_error(response, 413, "request_too_large")
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("method", "url", "headers", "status", "code"),
    [
        ("GET", "/api/docs/", {"HTTP_ACCEPT": "application/json"}, 406, "not_acceptable"),
        ("GET", "/api/docs/?format=json", {}, 404, "not_found"),
        ("POST", "/api/docs/", {}, 405, "method_not_allowed"),
        ("GET", "/api/redoc/", {"HTTP_ACCEPT": "application/json"}, 406, "not_acceptable"),
        ("GET", "/api/schema/", {"HTTP_ACCEPT": "text/html"}, 406, "not_acceptable"),
        ("GET", "/api/schema/?format=xml", {}, 404, "not_found"),
        ("DELETE", "/api/schema/", {}, 405, "method_not_allowed"),
        ("GET", "/static/no-such-file.css", {}, 404, "not_found"),
        (
            "POST",
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
            {},
            405,
            "method_not_allowed",
        ),
    ],
)
def test_errors_of_non_json_views_are_in_the_error_shape(
    api_client, method, url, headers, status, code
):
    response = api_client.generic(method, url, **headers)
    assert_error(response, status, code)
    if status == 405:
        assert "GET" in response["Allow"]

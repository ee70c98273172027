"""No API response may be kept by a browser or proxy cache (issue 15.5): every operation of the
OpenAPI file answers `Cache-Control: private, no-store` and `Pragma: no-cache`, its successful
answers (as the authorization tables make them) and its refusals alike. Token responses are
required to (RFC 6749 §5.1); the rest carry personal or medical data, or may.

Only the public, data-free documentation (schema, Swagger UI, Redoc) and static files may be
cached (settings.CACHEABLE_PATH_PREFIXES)."""

import pytest
from django.utils.cache import get_max_age

from tests.authz import call
from tests.factories import PASSWORD
from tests.records.conftest import records_world  # noqa: F401 (a fixture, used by name)
from tests.test_authorization_matrix import OPERATIONS, ROWS_BY_OPERATION

pytestmark = pytest.mark.django_db


def assert_not_stored(response) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, (response.status_code, directives)
    assert response.get("Pragma") == "no-cache"


def successful_call(operation: str):
    """A row of the authorization tables for `operation` and a role it succeeds for (or, for
    operations nobody may call successfully, such as the unsigned webhook, its first role)."""
    rows = ROWS_BY_OPERATION[operation]
    for row in rows:
        for role, status in row.expected.items():
            if 200 <= status < 300:
                return row, role
    return rows[0], next(iter(rows[0].expected))


@pytest.fixture
def any_world(request, settings):
    settings.PAYMENT_WEBHOOK_SECRET = "configured"
    # The records world is the shared world plus history entries: every row's path resolves.
    return request.getfixturevalue("records_world")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_answers_private_no_store(client_for, any_world, operation):
    row, role = successful_call(operation)
    response = call(client_for, any_world, row, role)
    assert response.status_code == row.expected[role], response.content
    assert_not_stored(response)
    refused = ROWS_BY_OPERATION[operation][0]
    response = call(client_for, any_world, refused, "anonymous")
    assert response.status_code == refused.expected["anonymous"]
    assert_not_stored(response)


def test_token_responses_are_not_stored(api_client, world):
    login = api_client.post(
        "/api/v1/auth/login/", {"email": world.patient.user.email, "password": PASSWORD}
    )
    assert login.status_code == 200
    assert_not_stored(login)
    refresh = api_client.post("/api/v1/auth/token/refresh/", {"refresh": login.json()["refresh"]})
    assert refresh.status_code == 200
    assert "access" in refresh.json()
    assert_not_stored(refresh)


def test_medical_responses_keep_their_stricter_headers(client_for, any_world):
    w = any_world
    response = client_for(w.patient.user).get(f"/api/v1/patients/{w.patient.pk}/history/")
    assert response.status_code == 200
    assert_not_stored(response)
    assert response["Cache-Control"].count("no-store") == 1
    assert get_max_age(response) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/schema/",
        "/api/docs/",
        "/api/redoc/",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    ],
)
def test_public_documentation_may_be_cached(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Pragma" not in response

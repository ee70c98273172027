import pytest
from django.db import connection

from tests.errors import assert_error_shape

pytestmark = pytest.mark.django_db


def test_readyz_checks_the_database(api_client):
    response = api_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert connection.vendor == "postgresql"


def test_unknown_url_is_a_404_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert assert_error_shape(response)["errors"][0]["code"] == "not_found"


def test_wrong_method_is_a_405_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/auth/login/")
    assert response.status_code == 405
    assert assert_error_shape(response)["errors"][0]["code"] == "method_not_allowed"


def test_malformed_json_is_a_parse_error(api_client):
    response = api_client.generic(
        "POST", "/api/v1/auth/login/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert assert_error_shape(response)["errors"][0]["code"] == "parse_error"


def test_schema_and_docs_are_served_offline(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/login/" in schema.content
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content
    assert api_client.get("/api/redoc/").status_code == 200

import json

import pytest

from doctors.models import Specialty
from tests.errors import assert_error

pytestmark = pytest.mark.django_db


def test_oversized_body_is_refused_before_parsing(api_client, settings):
    body = json.dumps(
        {"email": "a@example.com", "password": "x" * (settings.MAX_REQUEST_BODY_BYTES)}
    )
    response = api_client.generic(
        "POST", "/api/v1/auth/login/", body, content_type="application/json"
    )
    assert_error(response, 413, "request_too_large")


def test_body_under_the_limit_is_processed(api_client):
    response = api_client.post("/api/v1/auth/login/", {"email": "a@example.com", "password": "x"})
    assert_error(response, 401, "invalid_credentials")


def test_page_size_is_capped_at_100(api_client):
    Specialty.objects.bulk_create(Specialty(name=f"S{i}", slug=f"s-{i}") for i in range(105))
    response = api_client.get("/api/v1/specialties/?page_size=5000")
    assert response.status_code == 200
    assert response.json()["count"] == 105
    assert len(response.json()["results"]) == 100

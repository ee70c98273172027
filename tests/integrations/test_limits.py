"""Per-client rate limits with the RateLimit headers, last use and address, metrics by client."""

import pytest
from prometheus_client import REGISTRY

from accounts.models import Role
from integrations.models import IntegrationClient
from tests.errors import assert_error
from tests.factories import ClinicFactory, SlotFactory, clinic_admin_of, user_with_role
from tests.integrations.helpers import TOKEN_URL, ClientCredentialsAPIClient, make_client

pytestmark = pytest.mark.django_db
SLOTS = "/api/v1/slots/"


@pytest.fixture
def clinic():
    return ClinicFactory()


def integration(clinic, **fields):
    client, secret = make_client(
        clinic, ["schedule:read"], created_by=clinic_admin_of(clinic), **fields
    )
    return client, secret


def test_each_client_has_its_own_limit_with_ratelimit_headers(clinic):
    slow, _ = integration(clinic, requests_per_minute=2)
    other, _ = integration(clinic, requests_per_minute=2)
    api = ClientCredentialsAPIClient(slow)
    first = api.get(SLOTS)
    assert first.status_code == 200
    assert first["RateLimit-Limit"] == "2"
    assert first["RateLimit-Remaining"] == "1"
    assert first["RateLimit-Policy"] == "2;w=60"
    assert api.get(SLOTS)["RateLimit-Remaining"] == "0"
    throttled = api.get(SLOTS)
    assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert throttled["RateLimit-Remaining"] == "0"
    # Another client of the same clinic, from the same address, has its own budget.
    assert ClientCredentialsAPIClient(other).get(SLOTS).status_code == 200


def test_people_are_not_counted_by_the_client_throttle(clinic, client_for):
    response = client_for(clinic_admin_of(clinic)).get(SLOTS)
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response


def test_last_use_and_address_are_recorded(clinic):
    client, _ = integration(clinic)
    assert client.last_used_at is None
    ClientCredentialsAPIClient(client, REMOTE_ADDR="203.0.113.7").get(SLOTS)
    client.refresh_from_db()
    assert client.last_used_at is not None
    assert client.last_used_ip == "203.0.113.7"
    first_use = client.last_used_at
    # Within the minute, from the same address: no write per request.
    ClientCredentialsAPIClient(client, REMOTE_ADDR="203.0.113.7").get(SLOTS)
    assert IntegrationClient.objects.get(pk=client.pk).last_used_at == first_use
    # A new address is recorded at once.
    ClientCredentialsAPIClient(client, REMOTE_ADDR="198.51.100.2").get(SLOTS)
    assert IntegrationClient.objects.get(pk=client.pk).last_used_ip == "198.51.100.2"


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_by_client(clinic, api_client):
    client, secret = integration(clinic)
    label = str(client.pk)
    before = {
        outcome: sample("careslot_integration_client_requests_total", client=label, outcome=outcome)
        for outcome in ("allowed", "insufficient_scope")
    }
    issued = sample("careslot_integration_tokens_total", client=label, outcome="issued")
    wrong = sample("careslot_integration_tokens_total", client=label, outcome="invalid_client")
    body = {"grant_type": "client_credentials", "client_id": label, "client_secret": secret}
    assert api_client.post(TOKEN_URL, body, format="json").status_code == 200
    api_client.post(TOKEN_URL, body | {"client_secret": "csk_live_no"}, format="json")
    api = ClientCredentialsAPIClient(client)
    api.get(SLOTS)
    api.get("/api/v1/appointments/")
    assert sample("careslot_integration_tokens_total", client=label, outcome="issued") == issued + 1
    assert (
        sample("careslot_integration_tokens_total", client=label, outcome="invalid_client")
        == wrong + 1
    )
    assert (
        sample("careslot_integration_client_requests_total", client=label, outcome="allowed")
        == before["allowed"] + 1
    )
    assert (
        sample(
            "careslot_integration_client_requests_total", client=label, outcome="insufficient_scope"
        )
        == before["insufficient_scope"] + 1
    )


def test_the_admin_action_log_names_the_client_not_a_person(clinic, client_for):
    client, _ = integration(clinic)
    client.scopes = ["slots:write"]
    client.save()
    slot = SlotFactory(clinic=clinic)
    assert ClientCredentialsAPIClient(client).post(f"{SLOTS}{slot.pk}/block/").status_code == 200
    rows = client_for(user_with_role(Role.PLATFORM_ADMIN)).get(
        "/api/v1/admin-actions/?action=integration_write"
    )
    assert rows.status_code == 200, rows.content
    [row] = rows.json()["results"]
    assert row["actor"] is None
    assert row["actor_email"] is None
    assert row["actor_client_id"] == str(client.pk)
    assert row["actor_client_name"] == "PMS"
    assert row["target_id"] == str(slot.pk)
    assert row["details"]["method"] == "POST"


def test_the_request_log_names_the_client(clinic, caplog):
    client, _ = integration(clinic)
    with caplog.at_level("INFO", logger="careslot.request"):
        ClientCredentialsAPIClient(client).get(SLOTS)
    [line] = [record.msg for record in caplog.records if record.name == "careslot.request"]
    assert line["user_id"] == f"client:{client.pk}"

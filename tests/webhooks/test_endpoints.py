"""Managing webhook endpoints through the API: the secret shown once, rotation, bad input."""

import pytest

from clinics.permissions import grant_clinic_admin_permission
from tests.factories import ClinicFactory, clinic_admin_of
from tests.webhooks.conftest import make_endpoint
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"
PUBLIC = "https://93.184.215.14/careslot"  # a literal public address: no DNS needed


def create(client, for_clinic, **fields):
    body = {
        "clinic": str(for_clinic.pk),
        "url": PUBLIC,
        "event_types": ["appointment.booked", "slot.created"],
        "description": "Front desk",
        **fields,
    }
    return client.post(URL, body, format="json")


def test_the_secret_is_shown_at_creation_and_never_again(client_for, clinic, clinic_admin):
    client = client_for(clinic_admin)
    created = create(client, clinic)

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["appointment.booked", "slot.created"]
    assert body["enabled"] is True
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.secret == body["secret"]
    assert endpoint.created_by == clinic_admin

    detail = client.get(f"{URL}{body['id']}/").json()
    listed = client.get(URL).json()["results"]
    updated = client.patch(f"{URL}{body['id']}/", {"description": "x"}, format="json").json()
    for shown in (detail, *listed, updated):
        assert "secret" not in shown
        assert body["secret"] not in str(shown)


def test_rotation_shows_the_new_secret_once_and_keeps_the_old_one_signing_a_while(
    client_for, clinic, clinic_admin
):
    client = client_for(clinic_admin)
    first = create(client, clinic).json()

    rotated = client.post(f"{URL}{first['id']}/rotate-secret/")

    assert rotated.status_code == 200
    new = rotated.json()
    assert new["secret"].startswith("whsec_")
    assert new["secret"] != first["secret"]
    assert new["previous_secret_expires_at"] is not None
    endpoint = WebhookEndpoint.objects.get(pk=first["id"])
    assert (endpoint.secret, endpoint.previous_secret) == (new["secret"], first["secret"])
    assert "secret" not in client.get(f"{URL}{first['id']}/").json()


def test_clinic_admins_see_only_their_clinics_endpoints(client_for, clinic, clinic_admin):
    mine = make_endpoint(clinic, PUBLIC)
    make_endpoint(ClinicFactory(), PUBLIC)

    listed = client_for(clinic_admin).get(URL).json()

    assert [row["id"] for row in listed["results"]] == [str(mine.pk)]


def test_disabling_and_enabling_again_resets_the_run_of_failures(client_for, clinic, clinic_admin):
    endpoint = make_endpoint(clinic, PUBLIC, enabled=False, consecutive_failures=10)
    client = client_for(clinic_admin)

    enabled = client.patch(f"{URL}{endpoint.pk}/", {"enabled": True}, format="json")

    assert enabled.status_code == 200
    assert (enabled.json()["enabled"], enabled.json()["consecutive_failures"]) == (True, 0)
    disabled = client.patch(f"{URL}{endpoint.pk}/", {"enabled": False}, format="json").json()
    assert disabled["enabled"] is False
    assert disabled["disabled_reason"] == "Disabled by an admin."


@pytest.mark.parametrize(
    ("fields", "attr", "code"),
    [
        ({"url": "not a url"}, "url", "invalid"),
        ({"url": "ftp://93.184.215.14/x"}, "url", "unsafe_url"),
        ({"url": 42}, "url", "invalid"),
        ({"url": "http://93.184.215.14/plain"}, "url", "unsafe_url"),  # https only
        ({"url": "https://user:pw@93.184.215.14/x"}, "url", "unsafe_url"),
        ({"url": "https://no-such-host.invalid/x"}, "url", "unsafe_url"),
        ({"event_types": []}, "event_types", "empty"),
        ({"event_types": "appointment.booked"}, "event_types", "not_a_list"),
        ({"event_types": ["appointment.exploded"]}, "event_types.0", "invalid_choice"),
        ({"event_types": [1]}, "event_types.0", "invalid_choice"),
        ({"enabled": "yes"}, "enabled", "invalid"),
        ({"description": "x" * 201}, "description", "max_length"),
        ({"clinic": "00000000-0000-0000-0000-000000000000"}, "clinic", "does_not_exist"),
    ],
)
def test_bad_input_is_a_400_on_the_field(client_for, clinic, clinic_admin, fields, attr, code):
    response = create(client_for(clinic_admin), clinic, **fields)

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert (errors[0]["attr"], errors[0]["code"]) == (attr, code), errors
    assert not WebhookEndpoint.objects.exists()


def test_a_changed_url_is_checked_too(client_for, clinic, clinic_admin):
    endpoint = make_endpoint(clinic, PUBLIC)

    response = client_for(clinic_admin).patch(
        f"{URL}{endpoint.pk}/", {"url": "https://127.0.0.1/x"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "url"
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC


def test_a_clinic_has_a_limited_number_of_endpoints(client_for, clinic, clinic_admin, settings):
    settings.WEBHOOK_MAX_ENDPOINTS_PER_CLINIC = 2
    client = client_for(clinic_admin)
    assert [create(client, clinic).status_code for _ in range(2)] == [201, 201]

    third = create(client, clinic)

    assert third.status_code == 409
    assert third.json()["errors"][0]["code"] == "too_many_webhook_endpoints"


def test_an_admin_of_two_clinics_manages_both(client_for, clinic, clinic_admin):
    second = ClinicFactory()
    user = clinic_admin_of(second)
    grant_clinic_admin_permission(user=user, clinic=clinic)

    assert create(client_for(user), clinic).status_code == 201
    assert create(client_for(user), second).status_code == 201


def test_the_delivery_log_filters_are_checked(client_for, clinic, clinic_admin):
    endpoint = make_endpoint(clinic, PUBLIC)

    response = client_for(clinic_admin).get(f"{URL}{endpoint.pk}/deliveries/?status=lost")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"

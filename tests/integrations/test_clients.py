"""A clinic admin creates, lists, rotates and revokes their clinic's integration clients."""

import hashlib
import json
from datetime import datetime, timedelta

import jwt
import pytest
from django.utils import timezone

from audit.models import AdminAction, AdminActionLog
from integrations.models import IntegrationClient
from tests.errors import assert_error
from tests.factories import ClinicFactory, clinic_admin_of
from tests.integrations.helpers import (
    TOKEN_URL,
    ClientCredentialsAPIClient,
    make_client,
    public_jwks,
    rsa_key,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/integration-clients/"


@pytest.fixture
def clinic():
    return ClinicFactory()


@pytest.fixture
def admin(clinic):
    return clinic_admin_of(clinic)


def create_body(clinic, **fields) -> dict:
    return {
        "clinic": str(clinic.pk),
        "name": "Front desk PMS",
        "scopes": ["schedule:read"],
    } | fields


def token_for(api_client, client_id, secret):
    return api_client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "client_id": str(client_id), "client_secret": secret},
        format="json",
    )


def test_creating_shows_the_secret_once_and_stores_only_its_hash(client_for, clinic, admin):
    response = client_for(admin).post(URL, create_body(clinic, expires_in_days=30), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["client_secret"]
    assert secret.startswith("csk_live_")
    assert len(secret) == len("csk_live_") + 43
    assert body["secret_hint"] == secret[:13]
    assert body["scopes"] == ["schedule:read"]
    assert body["requests_per_minute"] == 600
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=29, hours=23) < expires - timezone.now() <= timedelta(days=30)
    stored = IntegrationClient.objects.get(pk=body["id"])
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(IntegrationClient.objects.filter(pk=stored.pk).values().get())
    # Reading it again never shows the secret.
    again = client_for(admin).get(f"{URL}{body['id']}/").json()
    assert "client_secret" not in again
    entry = AdminActionLog.objects.get(action=AdminAction.INTEGRATION_CLIENT_CREATED)
    assert (entry.actor, entry.target_id) == (admin, stored.pk)


def test_a_key_client_registers_public_keys_and_gets_no_secret(client_for, clinic, admin):
    jwks = public_jwks(rsa_key(), "k1")
    response = client_for(admin).post(
        URL,
        create_body(clinic, auth_method="private_key_jwt", jwks=jwks, scopes=["system/*.read"]),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["client_secret"] is None
    assert response.json()["jwks"] == jwks


@pytest.mark.parametrize(
    ("fields", "code", "attr"),
    [
        ({"scopes": ["records:read"]}, "invalid_choice", "scopes.0"),
        ({"scopes": []}, "empty", "scopes"),
        ({"name": 5}, "invalid", "name"),
        ({"expires_in_days": 0}, "min_value", "expires_in_days"),
        ({"expires_in_days": "30"}, "invalid", "expires_in_days"),
        ({"auth_method": "private_key_jwt"}, "required", "jwks"),
        (
            {"auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}},
            "invalid_jwks",
            "jwks",
        ),
        ({"jwks": {"keys": []}}, "invalid_jwks", "jwks"),
        ({"requests_per_minute": 0}, "min_value", "requests_per_minute"),
    ],
)
def test_bad_input_is_a_400_on_its_field(client_for, clinic, admin, fields, code, attr):
    response = client_for(admin).post(URL, create_body(clinic, **fields), format="json")
    assert_error(response, 400, code, attr)
    assert not IntegrationClient.objects.exists()


def test_a_private_key_is_never_accepted_as_a_key_set(client_for, clinic, admin):
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key()))
    response = client_for(admin).post(
        URL,
        create_body(clinic, auth_method="private_key_jwt", jwks={"keys": [private]}),
        format="json",
    )
    assert_error(response, 400, "invalid_jwks", "jwks")


def test_admins_list_only_their_clinics_clients_in_constant_queries(
    client_for, clinic, admin, django_assert_max_num_queries
):
    other = ClinicFactory()
    for _ in range(3):
        make_client(clinic, ["schedule:read"], created_by=admin)
    make_client(other, ["schedule:read"], created_by=clinic_admin_of(other))
    with django_assert_max_num_queries(6):
        response = client_for(admin).get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert {row["clinic"] for row in response.json()["results"]} == {str(clinic.pk)}


def test_rotating_replaces_the_secret_at_once(client_for, api_client, clinic, admin):
    client, old = make_client(clinic, ["schedule:read"], created_by=admin)
    response = client_for(admin).post(f"{URL}{client.pk}/rotate/", {}, format="json")
    assert response.status_code == 200, response.content
    new = response.json()["client_secret"]
    assert new != old
    assert new.startswith("csk_live_")
    assert_error(token_for(api_client, client.pk, old), 401, "invalid_client")
    assert token_for(api_client, client.pk, new).status_code == 200
    assert AdminActionLog.objects.filter(action=AdminAction.INTEGRATION_CLIENT_ROTATED).count() == 1


def test_rotating_a_key_client_takes_its_new_keys(client_for, clinic, admin):
    client, _ = make_client(
        clinic,
        ["schedule:read"],
        created_by=admin,
        auth_method="private_key_jwt",
        jwks=public_jwks(rsa_key(), "a"),
    )
    assert_error(
        client_for(admin).post(f"{URL}{client.pk}/rotate/", {}, format="json"),
        400,
        "required",
        "jwks",
    )
    new = public_jwks(rsa_key(), "b")
    response = client_for(admin).post(f"{URL}{client.pk}/rotate/", {"jwks": new}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["jwks"] == new
    assert response.json()["client_secret"] is None


def test_a_secret_client_sends_no_keys_to_rotate(client_for, clinic, admin):
    client, _ = make_client(clinic, ["schedule:read"], created_by=admin)
    response = client_for(admin).post(
        f"{URL}{client.pk}/rotate/", {"jwks": public_jwks(rsa_key(), "a")}, format="json"
    )
    assert_error(response, 400, "invalid", "jwks")


def test_revocation_takes_effect_on_the_next_request(client_for, api_client, clinic, admin):
    client, secret = make_client(clinic, ["schedule:read"], created_by=admin)
    token = token_for(api_client, client.pk, secret).json()["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/v1/slots/").status_code == 200
    assert client_for(admin).delete(f"{URL}{client.pk}/").status_code == 204
    # The very same token, one request later.
    assert_error(api_client.get("/api/v1/slots/"), 401, "token_revoked")
    api_client.credentials()
    assert_error(token_for(api_client, client.pk, secret), 401, "invalid_client")
    # Still listed, with when it was revoked; revoking again changes nothing.
    listed = client_for(admin).get(f"{URL}{client.pk}/").json()
    assert listed["revoked_at"] is not None
    assert client_for(admin).delete(f"{URL}{client.pk}/").status_code == 204
    assert AdminActionLog.objects.filter(action=AdminAction.INTEGRATION_CLIENT_REVOKED).count() == 1
    # A revoked client gets no new credentials.
    rotated = client_for(admin).post(f"{URL}{client.pk}/rotate/", {}, format="json")
    assert_error(rotated, 409, "integration_client_revoked")


def test_an_expired_client_or_a_deactivated_clinic_stops_its_tokens(clinic, admin):
    client, _ = make_client(clinic, ["schedule:read"], created_by=admin)
    api = ClientCredentialsAPIClient(client)
    assert api.get("/api/v1/slots/").status_code == 200
    IntegrationClient.objects.filter(pk=client.pk).update(expires_at=timezone.now())
    assert_error(api.get("/api/v1/slots/"), 401, "token_revoked")
    IntegrationClient.objects.filter(pk=client.pk).update(expires_at=None)
    clinic.is_active = False
    clinic.save()
    assert_error(api.get("/api/v1/slots/"), 401, "token_revoked")


def test_a_forged_or_expired_client_token_is_refused(api_client, clinic, admin):
    client, _ = make_client(clinic, ["schedule:read"], created_by=admin)
    now = int(timezone.now().timestamp())
    claims = {
        "token_type": "integration_access",
        "sub": str(client.pk),
        "scope": "schedule:read",
        "iat": now,
        "exp": now + 60,
    }
    forged = jwt.encode(claims, "not-our-signing-key-" * 3, algorithm="HS256")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_error(api_client.get("/api/v1/slots/"), 401, "token_not_valid")


def test_other_clinics_admins_neither_see_nor_change_a_client(client_for, clinic, admin):
    client, _ = make_client(clinic, ["schedule:read"], created_by=admin)
    stranger = clinic_admin_of(ClinicFactory())
    assert_error(client_for(stranger).get(f"{URL}{client.pk}/"), 404, "not_found")
    assert_error(client_for(stranger).delete(f"{URL}{client.pk}/"), 404, "not_found")
    assert_error(
        client_for(stranger).post(URL, create_body(clinic), format="json"), 403, "permission_denied"
    )

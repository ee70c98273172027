"""Integration-client endpoints x roles -> status: a clinic's admins manage its clients,
platform admins all; other clinic admins do not see them (404); other roles are refused (403).
The token endpoint is public: the client authenticates in the body."""

import pytest

from tests.authz import Endpoint, cases, check, expect
from tests.integrations.helpers import make_client

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"
MANAGE = {"clinic_admin": 200, "other_clinic_admin": 404, "platform_admin": 200}


def integration(w):
    client, _ = make_client(w.clinic, ["schedule:read"], created_by=w.clinic_admin)
    return client


def token_body(w):
    client, secret = make_client(w.clinic, ["schedule:read"], created_by=w.clinic_admin)
    return {
        "grant_type": "client_credentials",
        "client_id": str(client.pk),
        "client_secret": secret,
    }


ENDPOINTS = [
    Endpoint(
        "integration-clients-list",
        "GET",
        lambda w: f"{V1}/integration-clients/",
        expect(403, clinic_admin=200, other_clinic_admin=200, platform_admin=200),
    ),
    Endpoint(
        "integration-clients-create",
        "POST",
        lambda w: f"{V1}/integration-clients/",
        expect(403, clinic_admin=201, other_clinic_admin=403, platform_admin=201),
        body=lambda w: {"clinic": str(w.clinic.pk), "name": "PMS", "scopes": ["schedule:read"]},
    ),
    Endpoint(
        "integration-clients-detail",
        "GET",
        lambda w: f"{V1}/integration-clients/{integration(w).pk}/",
        expect(403, **MANAGE),
    ),
    Endpoint(
        "integration-clients-rotate",
        "POST",
        lambda w: f"{V1}/integration-clients/{integration(w).pk}/rotate/",
        expect(403, **MANAGE),
    ),
    Endpoint(
        "integration-clients-revoke",
        "DELETE",
        lambda w: f"{V1}/integration-clients/{integration(w).pk}/",
        expect(403, clinic_admin=204, other_clinic_admin=404, platform_admin=204),
    ),
    Endpoint(
        "oauth-token",
        "POST",
        lambda w: f"{V1}/oauth/token/",
        expect(200, anonymous=200),
        body=token_body,
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_integration_client_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)

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


def test_every_403_of_an_authenticated_operation_admits_insufficient_scope():
    """Any bearer operation answers a client token it does not take with 403
    `insufficient_scope`: each declared 403 must list that code (a view's own 403 too)."""
    from pathlib import Path

    import yaml

    schema = yaml.safe_load((Path(__file__).parents[2] / "api_schema" / "openapi.yaml").read_text())
    components = schema["components"]["schemas"]

    def codes(schema_ref: str) -> set[str]:
        body = components[schema_ref.rsplit("/", 1)[-1]]
        item = body["properties"]["errors"]["items"]
        item = components[item["$ref"].rsplit("/", 1)[-1]] if "$ref" in item else item
        code = item["properties"]["code"]
        code = components[code["$ref"].rsplit("/", 1)[-1]] if "$ref" in code else code
        return set(code.get("enum", []))

    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            authenticated = any("jwtAuth" in entry for entry in operation.get("security", []))
            forbidden = operation.get("responses", {}).get("403")
            if not authenticated:
                continue
            if forbidden is None:
                missing.append(f"{method.upper()} {path}: no 403")
                continue
            ref = forbidden["content"]["application/json"]["schema"]["$ref"]
            if "insufficient_scope" not in codes(ref):
                missing.append(f"{method.upper()} {path}")
    assert not missing, missing

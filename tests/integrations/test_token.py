"""POST /oauth/token/: client credentials with a secret or a private_key_jwt assertion."""

import time
import uuid

import jwt
import pytest
from django.utils import timezone

from integrations.models import AuthMethod
from integrations.tokens import ACCESS_TOKEN_TYPE
from tests.errors import assert_error
from tests.factories import ClinicFactory, clinic_admin_of
from tests.integrations.helpers import (
    TOKEN_URL,
    assertion,
    assertion_body,
    basic,
    ec_key,
    make_client,
    public_jwks,
    rsa_key,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return ClinicFactory()


@pytest.fixture
def admin(clinic):
    return clinic_admin_of(clinic)


@pytest.fixture
def secret_client(clinic, admin):
    return make_client(clinic, ["schedule:read", "webhooks:manage"], created_by=admin)


def claims_of(response) -> dict:
    return jwt.decode(response.json()["access_token"], options={"verify_signature": False})


def test_a_secret_buys_a_short_lived_token_with_client_clinic_and_scopes(
    api_client, secret_client, clinic
):
    client, secret = secret_client
    response = api_client.post(
        TOKEN_URL,
        f"grant_type=client_credentials&client_id={client.pk}&client_secret={secret}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}  # no refresh token
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "schedule:read webhooks:manage"
    claims = claims_of(response)
    assert claims["token_type"] == ACCESS_TOKEN_TYPE
    assert claims["sub"] == claims["client_id"] == str(client.pk)
    assert claims["clinic_id"] == str(clinic.pk)
    assert claims["exp"] - claims["iat"] == 300
    assert "no-store" in response["Cache-Control"]


def test_json_and_http_basic_work_too(api_client, secret_client):
    client, secret = secret_client
    as_json = api_client.post(
        TOKEN_URL,
        {
            "grant_type": "client_credentials",
            "client_id": str(client.pk),
            "client_secret": secret,
            "scope": "schedule:read",
        },
        format="json",
    )
    assert as_json.status_code == 200, as_json.content
    assert as_json.json()["scope"] == "schedule:read"
    with_basic = api_client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        format="json",
        HTTP_AUTHORIZATION=basic(client.pk, secret),
    )
    assert with_basic.status_code == 200, with_basic.content


@pytest.mark.parametrize(
    "change",
    [
        {"client_secret": "csk_live_wrong"},
        {"client_id": str(uuid.uuid4())},
        {"client_id": "not-a-uuid"},
    ],
)
def test_a_wrong_secret_or_unknown_client_is_invalid_client(api_client, secret_client, change):
    client, secret = secret_client
    body = {
        "grant_type": "client_credentials",
        "client_id": str(client.pk),
        "client_secret": secret,
    } | change
    response = api_client.post(TOKEN_URL, body, format="json")
    assert_error(response, 401, "invalid_client")
    assert "access_token" not in response.json()


def test_revoked_and_expired_clients_get_no_token(api_client, secret_client):
    client, secret = secret_client
    body = {
        "grant_type": "client_credentials",
        "client_id": str(client.pk),
        "client_secret": secret,
    }
    client.expires_at = timezone.now() - timezone.timedelta(seconds=1)
    client.save()
    assert_error(api_client.post(TOKEN_URL, body, format="json"), 401, "invalid_client")
    client.expires_at = None
    client.revoked_at = timezone.now()
    client.save()
    assert_error(api_client.post(TOKEN_URL, body, format="json"), 401, "invalid_client")


def test_no_client_authentication_is_invalid_client(api_client):
    assert_error(
        api_client.post(TOKEN_URL, {"grant_type": "client_credentials"}, format="json"),
        401,
        "invalid_client",
    )


def test_bad_requests_name_their_field(api_client, secret_client):
    client, secret = secret_client
    base = {"client_id": str(client.pk), "client_secret": secret}
    assert_error(api_client.post(TOKEN_URL, base, format="json"), 400, "required", "grant_type")
    assert_error(
        api_client.post(TOKEN_URL, base | {"grant_type": "password"}, format="json"),
        400,
        "unsupported_grant_type",
        "grant_type",
    )
    assert_error(
        api_client.post(
            TOKEN_URL,
            base | {"grant_type": "client_credentials", "scope": "appointments:write"},
            format="json",
        ),
        400,
        "invalid_scope",
        "scope",
    )
    assert_error(
        api_client.post(
            TOKEN_URL, base | {"grant_type": "client_credentials", "client_id": 5}, format="json"
        ),
        400,
        "invalid",
        "client_id",
    )
    both = base | {
        "grant_type": "client_credentials",
        "client_assertion": "x",
        "client_assertion_type": "y",
    }
    assert_error(
        api_client.post(TOKEN_URL, both, format="json"),
        400,
        "invalid_request",
        "client_assertion_type",
    )


# private_key_jwt ---------------------------------------------------------------------------


@pytest.fixture(params=[("RS384", rsa_key), ("ES384", ec_key)], ids=["RS384", "ES384"])
def key_client(request, clinic, admin):
    algorithm, make_key = request.param
    private_key = make_key()
    client, secret = make_client(
        clinic,
        ["system/*.read"],
        created_by=admin,
        auth_method=AuthMethod.PRIVATE_KEY_JWT,
        jwks=public_jwks(private_key, "key-1"),
    )
    assert secret is None
    return client, private_key, algorithm


def test_a_signed_assertion_from_a_registered_key_buys_a_token(api_client, key_client):
    client, private_key, algorithm = key_client
    signed = assertion(client.pk, private_key, kid="key-1", algorithm=algorithm)
    response = api_client.post(
        TOKEN_URL, assertion_body(signed, scope="system/*.read"), format="json"
    )
    assert response.status_code == 200, response.content
    assert claims_of(response)["client_id"] == str(client.pk)
    # The same assertion again is a replay (its jti was spent).
    assert_error(
        api_client.post(TOKEN_URL, assertion_body(signed), format="json"), 401, "invalid_client"
    )


def test_an_assertion_signed_by_another_key_is_refused(api_client, key_client):
    client, _, algorithm = key_client
    stranger = (rsa_key if algorithm == "RS384" else ec_key)()
    signed = assertion(client.pk, stranger, kid="key-1", algorithm=algorithm)
    assert_error(
        api_client.post(TOKEN_URL, assertion_body(signed), format="json"), 401, "invalid_client"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://elsewhere.example/token"},
        {"exp": int(time.time()) - 120},
        {"exp": int(time.time()) + 3600},
        {"sub": str(uuid.uuid4())},
    ],
    ids=["wrong-aud", "expired", "exp-too-far", "sub-not-client"],
)
def test_assertions_with_wrong_claims_are_refused(api_client, key_client, overrides):
    client, private_key, algorithm = key_client
    signed = assertion(client.pk, private_key, kid="key-1", algorithm=algorithm, **overrides)
    assert_error(
        api_client.post(TOKEN_URL, assertion_body(signed), format="json"), 401, "invalid_client"
    )


def test_an_unsigned_or_hmac_assertion_is_refused(api_client, key_client):
    client, _, _ = key_client
    now = int(time.time())
    claims = {
        "iss": str(client.pk),
        "sub": str(client.pk),
        "aud": "http://testserver/api/v1/oauth/token/",
        "exp": now + 60,
        "jti": "j",
    }
    for signed in (
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode(claims, "guessed-" * 8, algorithm="HS256"),
    ):
        assert_error(
            api_client.post(TOKEN_URL, assertion_body(signed), format="json"), 401, "invalid_client"
        )


def test_a_key_client_cannot_use_a_secret_and_a_secret_client_no_assertion(
    api_client, key_client, secret_client
):
    client, private_key, algorithm = key_client
    body = {
        "grant_type": "client_credentials",
        "client_id": str(client.pk),
        "client_secret": "csk_live_x",
    }
    assert_error(api_client.post(TOKEN_URL, body, format="json"), 401, "invalid_client")
    secret_one, _ = secret_client
    signed = assertion(secret_one.pk, private_key, kid="key-1", algorithm=algorithm)
    assert_error(
        api_client.post(TOKEN_URL, assertion_body(signed), format="json"), 401, "invalid_client"
    )

"""Integration clients for tests: made by the real service, with real tokens and key pairs."""

import base64
import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from integrations import services, tokens
from integrations.models import IntegrationClient
from integrations.scopes import Scope
from tests.conftest import CheckedAPIClient

TOKEN_URL = "/api/v1/oauth/token/"
TOKEN_AUDIENCE = "http://testserver/api/v1/oauth/token/"
ALL_SCOPES = [scope.value for scope in Scope]


def make_client(clinic, scopes, *, created_by, **fields) -> tuple[IntegrationClient, str | None]:
    issued = services.create_client(
        clinic=clinic, name="PMS", scopes=scopes, created_by=created_by, **fields
    )
    return issued.client, issued.secret


class ClientCredentialsAPIClient(CheckedAPIClient):
    """Acts as an integration client: a fresh access token from the token service per request
    (the scopes it holds, or `scopes`)."""

    def __init__(self, integration: IntegrationClient, scopes=None, **kwargs):
        super().__init__(**kwargs)
        self.integration = integration
        self.scopes = scopes

    def request(self, **kwargs):
        token, _ = tokens.issue_access_token(
            self.integration, self.scopes or self.integration.scopes
        )
        self._credentials["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return super().request(**kwargs)


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP384R1())


def public_jwks(private_key, kid: str) -> dict:
    jwk = json.loads(
        jwt.algorithms.get_default_algorithms()[
            "RS384" if isinstance(private_key, rsa.RSAPrivateKey) else "ES384"
        ].to_jwk(private_key.public_key())
    )
    return {"keys": [{**jwk, "kid": kid, "use": "sig"}]}


def assertion(client_id, private_key, *, kid: str, algorithm: str, **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": str(client_id),
        "sub": str(client_id),
        "aud": TOKEN_AUDIENCE,
        "exp": now + 240,
        "iat": now,
        "jti": uuid.uuid4().hex,
    } | overrides
    return jwt.encode(claims, private_key, algorithm=algorithm, headers={"kid": kid})


def assertion_body(signed: str, **extra) -> dict:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": tokens.ASSERTION_TYPE,
        "client_assertion": signed,
        **extra,
    }


def basic(client_id, secret) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()

"""Client secrets, the access tokens the token endpoint issues, and the client assertions
(`private_key_jwt`, RFC 7523 §2.2 as SMART Backend Services profiles it) it accepts.

Signing and verifying is PyJWT's (with `cryptography` for RS*/ES*); nothing here parses a JWT
by hand."""

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

import jwt
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings as simplejwt_settings

from .models import IntegrationClient

ACCESS_TOKEN_TYPE = "integration_access"  # simplejwt refuses it: its access type is "access"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# SMART Backend Services requires RS384 and ES384; the 256-bit ones cost nothing more.
ASSERTION_ALGORITHMS = ["RS384", "ES384", "RS256", "ES256", "PS256", "PS384"]
_ACCESS_ALGORITHM = "HS256"
_ASSERTION_LEEWAY_SECONDS = 30


def new_secret() -> str:
    """`csk_live_` and 256 random bits: the prefix lets secret scanners find a leaked one."""
    return settings.INTEGRATION_SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(client: IntegrationClient, secret: str) -> bool:
    return bool(client.secret_hash) and hmac.compare_digest(client.secret_hash, hash_secret(secret))


def _signing_key() -> str:
    return simplejwt_settings.SIGNING_KEY


def issue_access_token(client: IntegrationClient, scopes: list[str]) -> tuple[str, int]:
    """A signed access token for `client` with `scopes`, and its lifetime in seconds."""
    now = timezone.now()
    lifetime = int(timedelta(minutes=settings.INTEGRATION_TOKEN_MINUTES).total_seconds())
    claims = {
        "token_type": ACCESS_TOKEN_TYPE,
        "sub": str(client.pk),
        "client_id": str(client.pk),
        "clinic_id": str(client.clinic_id),
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + timedelta(seconds=lifetime),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _signing_key(), algorithm=_ACCESS_ALGORITHM), lifetime


def claims_unverified(token: str) -> dict | None:
    """The token's claims without checking anything, only to tell a client token from a
    user's; None when it is not a JWT at all."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def verify_access_token(token: str) -> dict | None:
    """The claims of a valid, unexpired client access token we signed, else None."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[_ACCESS_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "scope", "token_type"]},
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("token_type") == ACCESS_TOKEN_TYPE else None


class AssertionRefused(Exception):
    """The client assertion is not acceptable; the message says why (for the logs only)."""


def assertion_client_id(assertion: str) -> str | None:
    """The `iss` the assertion claims, before anything is verified (to find its keys)."""
    claims = claims_unverified(assertion)
    issuer = claims.get("iss") if claims else None
    return issuer if isinstance(issuer, str) else None


def verify_assertion(client: IntegrationClient, assertion: str, *, audiences: list[str]) -> dict:
    """The verified claims of a client assertion signed with one of `client`'s registered
    keys: iss and sub are the client, aud the token endpoint, exp within the allowed window.
    Raises AssertionRefused. The jti's single use is the caller's (a database row)."""
    try:
        header = jwt.get_unverified_header(assertion)
        keys = jwt.PyJWKSet.from_dict(client.jwks or {"keys": []})
    except jwt.PyJWTError as error:
        raise AssertionRefused(str(error)) from error
    kid = header.get("kid")
    candidates = [key for key in keys.keys if kid is None or key.key_id == kid]
    if not candidates:
        raise AssertionRefused("no registered key has this kid")
    for key in candidates:
        try:
            claims = jwt.decode(
                assertion,
                key.key,
                algorithms=ASSERTION_ALGORITHMS,
                audience=audiences,
                issuer=str(client.pk),
                leeway=_ASSERTION_LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as error:
            raise AssertionRefused(str(error)) from error
        break
    else:
        raise AssertionRefused("the signature matches no registered key")
    if claims["sub"] != str(client.pk):
        raise AssertionRefused("sub is not the client")
    horizon = timezone.now().timestamp() + settings.INTEGRATION_ASSERTION_MAX_SECONDS
    if claims["exp"] > horizon + _ASSERTION_LEEWAY_SECONDS:
        raise AssertionRefused("exp is too far ahead")
    if not isinstance(claims["jti"], str) or not 0 < len(claims["jti"]) <= 255:
        raise AssertionRefused("jti must be a string of at most 255 characters")
    return claims


def valid_jwks(value) -> bool:
    """Whether `value` is a JWKS whose every key PyJWT can use for an allowed algorithm."""
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list) or not value["keys"]:
        return False
    if any(not isinstance(key, dict) or "d" in key for key in value["keys"]):
        return False  # "d": a private key; never store one
    try:
        keys = jwt.PyJWKSet.from_dict(value)
    except jwt.PyJWTError:
        return False
    return len(keys.keys) == len(value["keys"]) and all(
        key.key_type in ("RSA", "EC") for key in keys.keys
    )

"""Writes of integration clients: create, rotate, revoke, and the token endpoint's exchange."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AdminAction
from audit.services import record_admin_action, record_client_action
from clinics.models import Clinic
from common import metrics
from common.errors import field_error

from . import tokens
from .errors import ClientRevoked, InvalidClient
from .models import AuthMethod, IntegrationClient, UsedAssertion
from .selectors import live_clients


@dataclass
class IssuedClient:
    client: IntegrationClient
    secret: str | None  # shown once: the creation's or the rotation's answer


@dataclass
class IssuedToken:
    access_token: str
    expires_in: int
    scopes: list[str]


def create_client(
    *,
    clinic: Clinic,
    name: str,
    scopes: list[str],
    created_by: User,
    auth_method: str = AuthMethod.CLIENT_SECRET,
    jwks: dict | None = None,
    expires_in_days: int | None = None,
    requests_per_minute: int | None = None,
) -> IssuedClient:
    secret = tokens.new_secret() if auth_method == AuthMethod.CLIENT_SECRET else None
    with transaction.atomic():
        client = IntegrationClient.objects.create(
            clinic=clinic,
            name=name,
            scopes=sorted(set(scopes)),
            auth_method=auth_method,
            secret_hash=tokens.hash_secret(secret) if secret else "",
            secret_hint=secret[:13] if secret else "",
            jwks=jwks if auth_method == AuthMethod.PRIVATE_KEY_JWT else None,
            expires_at=timezone.now() + timedelta(days=expires_in_days)
            if expires_in_days
            else None,
            requests_per_minute=requests_per_minute or settings.INTEGRATION_REQUESTS_PER_MINUTE,
            created_by=created_by,
        )
        record_admin_action(
            actor=created_by,
            action=AdminAction.INTEGRATION_CLIENT_CREATED,
            target=client,
            clinic=clinic.pk,
            scopes=" ".join(client.scopes),
        )
    return IssuedClient(client, secret)


def rotate_client(
    *, client: IntegrationClient, rotated_by: User, jwks: dict | None = None
) -> IssuedClient:
    """A new secret (the old one stops at once), or, for a key client, a new key set. Tokens
    already issued live out their few minutes; revoke the client to stop them too."""
    if client.revoked_at is not None:
        raise ClientRevoked()
    secret = None
    if client.auth_method == AuthMethod.CLIENT_SECRET:
        if jwks is not None:
            raise field_error("jwks", "This client uses a secret, not keys.", code="invalid")
        secret = tokens.new_secret()
        client.secret_hash, client.secret_hint = tokens.hash_secret(secret), secret[:13]
    else:
        if jwks is None:
            raise field_error("jwks", "Send the client's new key set.", code="required")
        client.jwks = jwks
    client.rotated_at = timezone.now()
    with transaction.atomic():
        client.save(update_fields=["secret_hash", "secret_hint", "jwks", "rotated_at"])
        record_admin_action(
            actor=rotated_by, action=AdminAction.INTEGRATION_CLIENT_ROTATED, target=client
        )
    return IssuedClient(client, secret)


def revoke_client(*, client: IntegrationClient, revoked_by: User) -> IntegrationClient:
    """Its tokens stop working on their next request (the authentication reads the client)."""
    if client.revoked_at is not None:
        return client
    client.revoked_at = timezone.now()
    with transaction.atomic():
        client.save(update_fields=["revoked_at"])
        record_admin_action(
            actor=revoked_by, action=AdminAction.INTEGRATION_CLIENT_REVOKED, target=client
        )
    return client


def _refuse(client_label: str, reason: str) -> InvalidClient:
    metrics.INTEGRATION_TOKENS.labels(client_label, reason).inc()
    return InvalidClient()


def authenticate_with_secret(*, client_id: str, secret: str) -> IntegrationClient:
    client = live_clients().filter(pk=client_id).first() if _is_uuid(client_id) else None
    if client is None or client.auth_method != AuthMethod.CLIENT_SECRET:
        raise _refuse("unknown", "invalid_client")
    if not tokens.secret_matches(client, secret):
        raise _refuse(str(client.pk), "invalid_client")
    return client


def authenticate_with_assertion(*, assertion: str, audiences: list[str]) -> IntegrationClient:
    """The client whose registered key signed `assertion`; its jti is spent here."""
    client_id = tokens.assertion_client_id(assertion)
    client = live_clients().filter(pk=client_id).first() if _is_uuid(client_id) else None
    if client is None or client.auth_method != AuthMethod.PRIVATE_KEY_JWT:
        raise _refuse("unknown", "invalid_client")
    try:
        claims = tokens.verify_assertion(client, assertion, audiences=audiences)
    except tokens.AssertionRefused as error:
        metrics.INTEGRATION_TOKENS.labels(str(client.pk), "invalid_assertion").inc()
        raise InvalidClient(f"Client authentication failed: {error}.") from error
    expires = datetime.fromtimestamp(claims["exp"], tz=UTC) + timedelta(minutes=1)
    try:
        with transaction.atomic():
            UsedAssertion.objects.filter(client=client, expires_at__lt=timezone.now()).delete()
            UsedAssertion.objects.create(client=client, jti=claims["jti"], expires_at=expires)
    except IntegrityError:
        raise _refuse(str(client.pk), "assertion_replayed") from None
    return client


def issue_token(*, client: IntegrationClient, requested: list[str] | None) -> IssuedToken:
    """client_credentials: a token for the requested scopes, all of them a subset of the
    client's, or for every scope of the client when none are named (RFC 6749 §3.3)."""
    held = set(client.scopes)
    scopes = sorted(set(requested)) if requested else sorted(held)
    unknown = set(scopes) - held
    if unknown:
        metrics.INTEGRATION_TOKENS.labels(str(client.pk), "invalid_scope").inc()
        raise field_error(
            "scope",
            f"Not granted to this client: {', '.join(sorted(unknown))}.",
            code="invalid_scope",
        )
    token, lifetime = tokens.issue_access_token(client, scopes)
    metrics.INTEGRATION_TOKENS.labels(str(client.pk), "issued").inc()
    return IssuedToken(token, lifetime, scopes)


def record_use(*, client: IntegrationClient, address: str | None) -> None:
    """Last use and address, written at most once a minute per client unless the address
    changes (a row update per request would make every read a write)."""
    now = timezone.now()
    stale = client.last_used_at is None or now - client.last_used_at > timedelta(minutes=1)
    if stale or client.last_used_ip != address:
        IntegrationClient.objects.filter(pk=client.pk).update(
            last_used_at=now, last_used_ip=address
        )
        client.last_used_at, client.last_used_ip = now, address


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return value is not None


def record_client_write(
    *,
    client: IntegrationClient,
    target_type: str,
    target_id: uuid.UUID | None,
    method: str,
    path: str,
    status: int,
) -> None:
    """The audit entry of one write a client made (its actor is the client, not a person)."""
    record_client_action(
        client_id=client.pk,
        client_name=client.name,
        action=AdminAction.INTEGRATION_WRITE,
        target_type=target_type,
        target_id=target_id or client.pk,
        method=method,
        path=path,
        status=status,
        clinic=client.clinic_id,
    )

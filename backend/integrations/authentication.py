"""Bearer tokens of integration clients (docs/integrations.md).

Listed before the users' JWT authentication: a token whose `token_type` is not ours is left
to it (None), so the two never accept each other's tokens. For a client token, every request
reads the client again: a revoked or expired client, or one whose clinic was deactivated, is
refused at once (`token_revoked`), as users' tokens are after a revocation."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from common import metrics
from common.client_ip import client_ip
from common.integration_scopes import integration_scope

from . import tokens
from .errors import InsufficientScope
from .permissions import required_scope
from .principal import IntegrationPrincipal
from .selectors import live_clients
from .services import record_use


class IntegrationClientAuthentication(BaseAuthentication):
    """`Authorization: Bearer <client access token>`: the request acts as the client."""

    keyword = b"bearer"
    # A valid client token on an operation its scopes do not reach is a 403 (common.openapi
    # documents one on every operation this class authenticates).
    may_answer_403 = True

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != self.keyword:
            return None
        raw = parts[1].decode("latin-1")
        unverified = tokens.claims_unverified(raw)
        if not unverified or unverified.get("token_type") != tokens.ACCESS_TOKEN_TYPE:
            return None  # a user's token (or garbage): the JWT authentication answers
        claims = tokens.verify_access_token(raw)
        if claims is None:
            raise AuthenticationFailed("Token is invalid or expired.", code="token_not_valid")
        client = live_clients().filter(pk=claims["sub"]).first()
        if client is None:
            raise AuthenticationFailed("This client has been revoked.", code="token_revoked")
        # A scope the admin took away since the token was issued is gone now, not at expiry.
        scopes = frozenset(claims["scope"].split()) & frozenset(client.scopes)
        principal = IntegrationPrincipal(client, scopes)
        needed = required_scope(request.parser_context.get("view"), request)
        if needed is None or not principal.may(needed):
            metrics.INTEGRATION_REQUESTS.labels(str(client.pk), "insufficient_scope").inc()
            raise InsufficientScope(
                "No scope of an integration client reaches this endpoint."
                if needed is None
                else f"This request needs the scope {needed}."
            )
        metrics.INTEGRATION_REQUESTS.labels(str(client.pk), "allowed").inc()
        record_use(client=client, address=client_ip(request))
        return principal, claims

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class IntegrationClientScheme(OpenApiAuthenticationExtension):
    """The OAuth 2.0 client-credentials flow, so the schema shows how a client gets a token."""

    target_class = "integrations.authentication.IntegrationClientAuthentication"
    name = "integrationClient"

    def get_security_requirement(self, auto_schema):
        """Listed only on the operations a client may call, with the scope each needs."""
        needed = integration_scope(auto_schema.view, auto_schema.method)
        return {self.name: [needed]} if needed else None

    def get_security_definition(self, auto_schema):
        from .scopes import Scope

        return {
            "type": "oauth2",
            "description": (
                "Integration clients (docs/integrations.md): POST grant_type=client_credentials "
                "to the token URL with client_id and client_secret (or HTTP Basic), or with a "
                "private_key_jwt client_assertion (SMART Backend Services). Send the access "
                "token as `Authorization: Bearer <token>`."
            ),
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/api/v1/oauth/token/",
                    "scopes": {scope.value: scope.label for scope in Scope},
                }
            },
        }

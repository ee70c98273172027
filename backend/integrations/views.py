"""Clinic admins manage their clinic's integration clients; clients get tokens."""

import base64
import binascii
from urllib.parse import unquote

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import any_role
from clinics.permissions import may_manage_clinic
from common.parsers import StrictJSONParser
from common.schema import error_response
from common.throttling import ClientScopedRateThrottle

from . import services
from .errors import InvalidClient
from .filters import IntegrationClientFilter
from .selectors import clients_visible_to
from .serializers import (
    AccessTokenSerializer,
    ClientRotateInputSerializer,
    IntegrationClientInputSerializer,
    IntegrationClientSerializer,
    IntegrationClientWithSecretSerializer,
    TokenGrantSerializer,
)

TAGS = ["integrations"]
IsClinicOrPlatformAdmin = any_role(Role.CLINIC_ADMIN, Role.PLATFORM_ADMIN)
CLIENT_EXAMPLE = {
    "id": "3f6c1d2e-8a4b-4c1d-9e2f-5a6b7c8d9e0f",
    "clinic": "0f5e2c9a-1b2d-4e3f-8a7b-6c5d4e3f2a1b",
    "name": "Front desk PMS",
    "scopes": ["schedule:read", "webhooks:manage"],
    "auth_method": "client_secret_post",
    "secret_hint": "csk_live_Xb3k",
    "jwks": None,
    "requests_per_minute": 600,
    "expires_at": None,
    "revoked_at": None,
    "rotated_at": None,
    "last_used_at": None,
    "last_used_ip": None,
    "created_at": "2026-03-02T09:00:00Z",
}
SECRET_EXAMPLE = "csk_live_Xb3kq0cV1mA8d2hQeR7sT4uW9yZ0aB1cD2eF3gH4iJ5"


@extend_schema_view(
    list=extend_schema(
        summary="List integration clients (clinic admins: their clinics'; platform admins: all)",
        description="Revoked clients stay listed with their `revoked_at`.",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get an integration client (never its secret)", tags=TAGS),
)
class IntegrationClientViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = IntegrationClientSerializer
    permission_classes = [IsAuthenticated, IsClinicOrPlatformAdmin]
    filterset_class = IntegrationClientFilter
    ordering_fields = ["created_at", "name"]
    ordering = ["created_at"]

    def get_queryset(self):
        return clients_visible_to(self.request.user)

    @extend_schema(
        summary="Create an integration client (the clinic's admins or platform admins)",
        description=(
            "The answer carries the `client_secret` once (a `client_secret_post` client); a "
            "`private_key_jwt` client registers its public keys (`jwks`) instead and gets no "
            "secret. `id` is the OAuth `client_id`."
        ),
        tags=TAGS,
        request=IntegrationClientInputSerializer,
        responses={201: IntegrationClientWithSecretSerializer},
        examples=[
            OpenApiExample(
                "A client that reads the schedule and manages webhooks",
                request_only=True,
                value={
                    "clinic": CLIENT_EXAMPLE["clinic"],
                    "name": "Front desk PMS",
                    "scopes": ["schedule:read", "webhooks:manage"],
                },
            ),
            OpenApiExample(
                "Created, with its secret shown once",
                response_only=True,
                status_codes=["201"],
                value={**CLIENT_EXAMPLE, "client_secret": SECRET_EXAMPLE},
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        data = IntegrationClientInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not may_manage_clinic(request.user, data.validated_data["clinic"]):
            raise PermissionDenied("Only this clinic's admins or a platform admin may add one.")
        issued = services.create_client(**data.validated_data, created_by=request.user)
        return Response(self._with_secret(issued), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rotate an integration client's secret (or replace its keys)",
        description=(
            "A `client_secret_post` client gets a new secret, shown in this answer only; the "
            "old one stops working at once. A `private_key_jwt` client sends its new `jwks`. "
            "Tokens already issued run out within minutes; revoke the client to stop them now."
        ),
        tags=TAGS,
        request=ClientRotateInputSerializer,
        responses={
            200: IntegrationClientWithSecretSerializer,
            409: error_response(
                "IntegrationClientRevoked",
                "The client is revoked: it gets no new credentials.",
                "integration_client_revoked",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk=None) -> Response:
        client = self._manageable()
        data = ClientRotateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.rotate_client(
            client=client, rotated_by=request.user, jwks=data.validated_data["jwks"]
        )
        return Response(self._with_secret(issued))

    @extend_schema(
        summary="Revoke an integration client",
        description=(
            "It can get no more tokens, and the tokens it holds are refused from their next "
            "request (`token_revoked`). Revoking a revoked client changes nothing."
        ),
        tags=TAGS,
        request=None,
        responses={204: None},
    )
    def destroy(self, request: Request, pk=None) -> Response:
        services.revoke_client(client=self._manageable(), revoked_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _manageable(self):
        client = self.get_object()
        if not may_manage_clinic(self.request.user, client.clinic):
            raise PermissionDenied("Only this clinic's admins or a platform admin may change it.")
        return client

    @staticmethod
    def _with_secret(issued: services.IssuedClient) -> dict:
        return {
            **IntegrationClientSerializer(issued.client).data,
            "client_secret": issued.secret,
        }


class TokenView(APIView):
    """POST /oauth/token/: the OAuth 2.0 client-credentials grant."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "integration_token"
    parser_classes = [FormParser, StrictJSONParser]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Basic realm="api"'  # keeps invalid_client a 401 (RFC 6749 §5.2)

    @extend_schema(
        operation_id="oauth_token_create",
        summary="Get an access token (OAuth 2.0 client credentials)",
        description=(
            "`grant_type=client_credentials`, as a form (RFC 6749) or JSON, with the client "
            "authenticated by `client_id` + `client_secret` (in the body or HTTP Basic), or by "
            "`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` "
            "and a `client_assertion` JWT signed with a registered key (SMART Backend "
            "Services: RS384 or ES384; `iss` and `sub` the client id, `aud` this URL, `exp` at "
            "most 5 minutes ahead, a `jti` used once). The answer is a short-lived access "
            "token and no refresh token: ask again when it expires. Errors are RFC 6749 §5.2's "
            "codes in the usual error shape."
        ),
        tags=TAGS,
        request=TokenGrantSerializer,  # as a form or JSON: the view's parsers
        responses={
            200: AccessTokenSerializer,
            401: error_response(
                "TokenUnauthorized",
                "Unknown, revoked or expired client, a wrong secret, or an assertion that is "
                "not signed by a registered key, is expired or was used before.",
                "invalid_client",
            ),
            429: error_response("TokenTooManyRequests", "Too many token requests.", "throttled"),
        },
        examples=[
            OpenApiExample(
                "With the client's secret",
                request_only=True,
                value={
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_EXAMPLE["id"],
                    "client_secret": SECRET_EXAMPLE,
                    "scope": "schedule:read",
                },
            ),
            OpenApiExample(
                "The token",
                response_only=True,
                status_codes=["200"],
                value={
                    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6InNjaGVkdWxlOnJlYWQifQ.c2ln",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "scope": "schedule:read",
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = TokenGrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if "client_assertion" in fields:
            client = services.authenticate_with_assertion(
                assertion=fields["client_assertion"], audiences=self._audiences(request)
            )
        else:
            client_id, secret = self._secret_credentials(request, fields)
            client = services.authenticate_with_secret(client_id=client_id, secret=secret)
        issued = services.issue_token(client=client, requested=fields["scope"].split())
        return Response(
            {
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "scope": " ".join(issued.scopes),
            }
        )

    @staticmethod
    def _secret_credentials(request: Request, fields: dict) -> tuple[str, str]:
        """From the body, or from HTTP Basic (RFC 6749 §2.3.1: form-encoded id and secret)."""
        if "client_secret" in fields:
            return fields.get("client_id", ""), fields["client_secret"]
        header = request.headers.get("Authorization", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise InvalidClient() from None
            client_id, _, secret = decoded.partition(":")
            return unquote(client_id), unquote(secret)
        raise InvalidClient("Authenticate the client: a secret, HTTP Basic or an assertion.")

    @staticmethod
    def _audiences(request: Request) -> list[str]:
        return [
            request.build_absolute_uri(reverse("integration-token")),
            *settings.INTEGRATION_TOKEN_AUDIENCES,
        ]

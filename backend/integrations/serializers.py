from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinics.models import Clinic
from common.fields import StrictCharField, StrictIntegerField, StrictModelSerializer

from .models import AuthMethod, IntegrationClient
from .scopes import Scope
from .tokens import ASSERTION_TYPE, valid_jwks


@extend_schema_field(
    {
        "type": "object",
        "description": "A JSON Web Key Set of public RSA or EC keys (RFC 7517)",
        "properties": {
            "keys": {"type": "array", "items": {"type": "object", "additionalProperties": True}}
        },
        "required": ["keys"],
    }
)
class JWKSField(serializers.JSONField):
    """A client's public keys; validated by `valid_jwks`."""


CLIENT_FIELDS = [
    "id",
    "clinic",
    "name",
    "scopes",
    "auth_method",
    "secret_hint",
    "jwks",
    "requests_per_minute",
    "expires_at",
    "revoked_at",
    "rotated_at",
    "last_used_at",
    "last_used_ip",
    "created_at",
]


class IntegrationClientSerializer(StrictModelSerializer):
    """A client as listed and read: never its secret. `id` is the OAuth `client_id`."""

    scopes = serializers.ListField(child=serializers.ChoiceField(Scope.choices))
    jwks = JWKSField(allow_null=True, help_text="The public keys (private_key_jwt)")

    class Meta:
        model = IntegrationClient
        fields = CLIENT_FIELDS
        read_only_fields = fields


class IntegrationClientWithSecretSerializer(IntegrationClientSerializer):
    """The answer to a creation or a rotation: the only time a secret is shown."""

    client_secret = StrictCharField(
        read_only=True,
        allow_null=True,
        help_text="`csk_live_` + 43 characters; shown now and never again (null for a "
        "private_key_jwt client).",
    )

    class Meta(IntegrationClientSerializer.Meta):
        fields = [*CLIENT_FIELDS, "client_secret"]
        read_only_fields = fields


def _check_jwks(value):
    if value is not None and not valid_jwks(value):
        raise serializers.ValidationError(
            'A JWKS of public RSA or EC keys is required: {"keys": [{"kty": ..., ...}]}.',
            code="invalid_jwks",
        )
    return value


class IntegrationClientInputSerializer(serializers.Serializer):
    clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.all())
    name = StrictCharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(Scope.choices), allow_empty=False, max_length=len(Scope)
    )
    auth_method = serializers.ChoiceField(AuthMethod.choices, default=AuthMethod.CLIENT_SECRET)
    jwks = JWKSField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Public keys (JWKS) for private_key_jwt; required with it, refused without",
    )
    expires_in_days = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=3650,
        help_text="Optional: the client ends by itself this many days from now (`expires_at`)",
    )
    requests_per_minute = StrictIntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=10_000
    )

    def validate_jwks(self, value):
        return _check_jwks(value)

    def validate(self, attrs):
        if attrs["auth_method"] == AuthMethod.PRIVATE_KEY_JWT and attrs["jwks"] is None:
            raise serializers.ValidationError(
                {"jwks": ["Required for private_key_jwt."]}, code="required"
            )
        if attrs["auth_method"] == AuthMethod.CLIENT_SECRET and attrs["jwks"] is not None:
            raise serializers.ValidationError(
                {"jwks": ["Only a private_key_jwt client registers keys."]}, code="invalid"
            )
        return attrs


class ClientRotateInputSerializer(serializers.Serializer):
    jwks = JWKSField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A private_key_jwt client's new key set (a secret client sends nothing)",
    )

    def validate_jwks(self, value):
        return _check_jwks(value)


class TokenGrantSerializer(serializers.Serializer):
    """RFC 6749 §4.4.2 plus the client's authentication (§2.3.1 or RFC 7523 §2.2)."""

    grant_type = StrictCharField(help_text="client_credentials")
    scope = StrictCharField(
        required=False, default="", allow_blank=True, help_text="Space-separated; all if empty"
    )
    client_id = StrictCharField(required=False, help_text="With client_secret (or HTTP Basic)")
    client_secret = StrictCharField(required=False, style={"input_type": "password"})
    client_assertion_type = StrictCharField(required=False, help_text=ASSERTION_TYPE)
    client_assertion = StrictCharField(required=False, help_text="A JWT signed with the key")

    def validate_grant_type(self, value):
        if value != "client_credentials":
            raise serializers.ValidationError(
                "Only client_credentials is supported.", code="unsupported_grant_type"
            )
        return value

    def validate_client_assertion_type(self, value):
        if value != ASSERTION_TYPE:
            raise serializers.ValidationError(f"Must be {ASSERTION_TYPE}.", code="invalid_request")
        return value

    def validate(self, attrs):
        with_assertion = "client_assertion" in attrs or "client_assertion_type" in attrs
        with_secret = "client_secret" in attrs
        if with_assertion and with_secret:
            raise serializers.ValidationError(
                "Authenticate with a secret or an assertion, not both.", code="invalid_request"
            )
        if with_assertion and not (
            "client_assertion" in attrs and "client_assertion_type" in attrs
        ):
            missing = "client_assertion" if "client_assertion" not in attrs else "type"
            field = missing if missing == "client_assertion" else "client_assertion_type"
            raise serializers.ValidationError({field: ["Required."]}, code="invalid_request")
        return attrs


class AccessTokenSerializer(serializers.Serializer):
    access_token = StrictCharField(help_text="A JWT; send it as `Authorization: Bearer ...`")
    token_type = StrictCharField(help_text="Bearer")
    expires_in = StrictIntegerField(help_text="Seconds")
    scope = StrictCharField(help_text="The granted scopes, space-separated")

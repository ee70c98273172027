from rest_framework import serializers

from clinics.models import Clinic
from common.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictModelSerializer,
    StrictURLField,
)

from .events import EventType
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

ENDPOINT_FIELDS = [
    "id",
    "clinic",
    "url",
    "description",
    "event_types",
    "enabled",
    "consecutive_failures",
    "disabled_at",
    "disabled_reason",
    "previous_secret_expires_at",
    "created_at",
    "updated_at",
]


class WebhookEndpointSerializer(StrictModelSerializer):
    """An endpoint as listed and read: never its secret."""

    event_types = serializers.ListField(child=serializers.ChoiceField(EventType.choices))

    class Meta:
        model = WebhookEndpoint
        fields = ENDPOINT_FIELDS
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The answer to a creation or a rotation: the only times the secret is shown."""

    secret = StrictCharField(
        read_only=True,
        help_text="The signing key (`whsec_` + base64). Shown now and never again: store it.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*ENDPOINT_FIELDS, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):
    clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.all())
    url = StrictURLField(max_length=2000, help_text="https (outside DEBUG), public host only")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(EventType.choices),
        allow_empty=False,
        max_length=len(EventType.choices),
    )
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    enabled = StrictBooleanField(required=False, default=True)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = StrictURLField(max_length=2000, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(EventType.choices),
        allow_empty=False,
        max_length=len(EventType.choices),
        required=False,
    )
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    enabled = StrictBooleanField(required=False)


class WebhookAttemptSerializer(StrictModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "attempt",
            "started_at",
            "succeeded",
            "status_code",
            "latency_ms",
            "response_excerpt",
            "error",
            "manual",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(StrictModelSerializer):
    """One event sent (or to send) to the endpoint; its id is the `webhook-id` header."""

    attempts = WebhookAttemptSerializer(many=True, read_only=True)
    payload = serializers.JSONField(read_only=True, help_text="The signed body, as sent")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "status",
            "attempt_count",
            "created_at",
            "delivered_at",
            "payload",
            "attempts",
        ]
        read_only_fields = fields

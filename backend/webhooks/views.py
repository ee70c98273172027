"""Clinic admins manage their clinic's webhook endpoints and read their delivery log."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from clinics.permissions import may_manage_clinic
from common.schema import error_response
from integrations.permissions import IsIntegrationClient
from integrations.principal import is_integration_client
from integrations.scopes import Scope

from . import services
from .events import EventType
from .filters import WebhookDeliveryFilter, WebhookEndpointFilter
from .models import DeliveryStatus
from .permissions import IsClinicOrPlatformAdmin
from .selectors import deliveries_of, endpoints_visible_to
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)

TAGS = ["webhooks"]
DELIVERY_ID = OpenApiParameter(
    "delivery_id", str, OpenApiParameter.PATH, description="Delivery id (the webhook-id header)"
)
ENDPOINT_EXAMPLE = {
    "id": "7d9c1f0e-3b7a-4c55-9a61-2f0b8d1e4a10",
    "clinic": "0f5e2c9a-1b2d-4e3f-8a7b-6c5d4e3f2a1b",
    "url": "https://practice.example.org/careslot/webhooks",
    "description": "Front desk software",
    "event_types": ["appointment.booked", "appointment.cancelled"],
    "enabled": True,
    "consecutive_failures": 0,
    "disabled_at": None,
    "disabled_reason": "",
    "previous_secret_expires_at": None,
    "created_at": "2026-03-02T09:00:00Z",
    "updated_at": "2026-03-02T09:00:00Z",
}
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7JvG4AeV6kc="
UNSAFE_URL = (
    "400 `unsafe_url` on `url`: not https (outside DEBUG), a host that does not resolve, or "
    "one that resolves to a loopback, private, link-local, multicast, reserved or metadata "
    "address."
)


@extend_schema_view(
    list=extend_schema(
        summary="List webhook endpoints (clinic admins: their clinics'; platform admins: all)",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get a webhook endpoint (without its secret)", tags=TAGS),
    destroy=extend_schema(
        summary="Delete a webhook endpoint and its delivery log", tags=TAGS, responses={204: None}
    ),
)
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    serializer_class = WebhookEndpointSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_classes = [IsAuthenticated, IsClinicOrPlatformAdmin | IsIntegrationClient]
    # Every action, for an integration client of the endpoint's clinic (docs/integrations.md).
    integration_scopes = dict.fromkeys(
        [
            "list",
            "retrieve",
            "create",
            "partial_update",
            "destroy",
            "rotate_secret",
            "deliveries",
            "redeliver",
        ],
        Scope.WEBHOOKS_MANAGE,
    )
    filterset_class = WebhookEndpointFilter
    ordering_fields = ["created_at", "url"]
    ordering = ["created_at"]

    def get_queryset(self):
        return endpoints_visible_to(self.request.user)

    @extend_schema(
        summary="Create a webhook endpoint (the clinic's admins or platform admins)",
        description=(
            "The answer carries the signing `secret` once; later reads never show it. " + UNSAFE_URL
        ),
        tags=TAGS,
        request=WebhookEndpointInputSerializer,
        responses={
            201: WebhookEndpointWithSecretSerializer,
            409: error_response(
                "WebhookEndpointLimit",
                "The clinic has as many endpoints as allowed.",
                "too_many_webhook_endpoints",
            ),
        },
        examples=[
            OpenApiExample(
                "Subscribe to bookings and cancellations",
                request_only=True,
                value={
                    "clinic": ENDPOINT_EXAMPLE["clinic"],
                    "url": ENDPOINT_EXAMPLE["url"],
                    "description": "Front desk software",
                    "event_types": ["appointment.booked", "appointment.cancelled"],
                },
            ),
            OpenApiExample(
                "Created, with its secret shown once",
                response_only=True,
                status_codes=["201"],
                value={**ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE},
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clinic = data.validated_data["clinic"]
        if is_integration_client(request.user):
            if clinic.pk != request.user.clinic_id:
                raise PermissionDenied("An integration client adds endpoints to its own clinic.")
            created_by = None
        elif may_manage_clinic(request.user, clinic):
            created_by = request.user
        else:
            raise PermissionDenied("Only this clinic's admins or a platform admin may add one.")
        endpoint = services.create_endpoint(**data.validated_data, created_by=created_by)
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change a webhook endpoint's URL, events, description or enabled flag",
        description="Enabling it again resets its run of failures. " + UNSAFE_URL,
        tags=TAGS,
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer},
        examples=[
            OpenApiExample("Enable again", request_only=True, value={"enabled": True}),
        ],
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        endpoint = self.get_object()
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.update_endpoint(endpoint=endpoint, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request: Request, pk=None) -> Response:
        services.delete_endpoint(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate a webhook endpoint's secret",
        description=(
            "A new secret, shown in this answer only. The previous one keeps signing beside "
            "it (a second `v1,` signature) until `previous_secret_expires_at`."
        ),
        tags=TAGS,
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk=None) -> Response:
        endpoint = services.rotate_secret(endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        summary="A webhook endpoint's delivery log",
        description=(
            "Newest first; each delivery with every attempt (status code, latency, response "
            "excerpt, error)."
        ),
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", str, enum=DeliveryStatus.values),
            OpenApiParameter("event_type", str, enum=EventType.values),
        ],
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request: Request, pk=None) -> Response:
        endpoint = self.get_object()
        filters = WebhookDeliveryFilter(request.query_params, queryset=deliveries_of(endpoint))
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        page = self.paginate_queryset(filters.qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivery again",
        description="Queued now with the same `webhook-id`; the log gains its attempts.",
        tags=TAGS,
        parameters=[DELIVERY_ID],
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            409: error_response(
                "WebhookRedeliveryConflict",
                "The endpoint is disabled, or the delivery is still being attempted.",
                "webhook_endpoint_disabled",
                "webhook_delivery_pending",
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9a-f-]{36})/redeliver",
    )
    def redeliver(self, request: Request, pk=None, delivery_id=None) -> Response:
        endpoint = self.get_object()
        delivery = get_object_or_404(deliveries_of(endpoint), pk=delivery_id)
        delivery = services.redeliver(delivery=delivery)
        return Response(
            WebhookDeliverySerializer(deliveries_of(endpoint).get(pk=delivery.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )

"""The payment provider's signed webhook (documented in docs/payments.md)."""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import error_response

from . import payments
from .models import Appointment
from .serializers import WebhookEventSerializer, WebhookResultSerializer

SIGNATURE = OpenApiParameter(
    "CareSlot-Signature",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' with the shared secret>",
)


class PaymentWebhookView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Payment provider webhook",
        description=(
            "Marks an appointment paid. Signed with HMAC-SHA256 (see the CareSlot-Signature "
            "header); timestamps older than PAYMENT_WEBHOOK_TOLERANCE_SECONDS are refused; a "
            "replayed event id answers 200 with processed=false and changes nothing."
        ),
        tags=["payments"],
        parameters=[SIGNATURE],
        request=WebhookEventSerializer,
        responses={
            200: WebhookResultSerializer,
            401: error_response(
                "WebhookUnauthorized",
                "The signature is missing, wrong or too old.",
                "invalid_signature",
                "stale_timestamp",
            ),
            404: error_response(
                "WebhookUnknownAppointment", "No such appointment.", "unknown_appointment"
            ),
            409: error_response(
                "WebhookConflict",
                "The amount differs or the appointment cannot be paid.",
                "amount_mismatch",
                "invalid_payment_transition",
            ),
            503: error_response(
                "WebhookNotConfigured",
                "No webhook secret configured.",
                "webhook_not_configured",
                server_error=True,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        # The signature covers the exact bytes: check it on them, then parse them with the
        # API's JSON parser (its depth and character limits hold here too).
        payments.verify_webhook_signature(
            body=request.body, header=request.headers.get("CareSlot-Signature", "")
        )
        event = WebhookEventSerializer(data=request.data)
        event.is_valid(raise_exception=True)
        data = event.validated_data["data"]
        appointment = Appointment.objects.filter(pk=data["appointment_id"]).first()
        if appointment is None:
            raise payments.UnknownAppointment()
        with transaction.atomic():
            appointment, processed = payments.record_provider_payment(
                event_id=event.validated_data["id"],
                appointment=appointment,
                amount=data["amount"],
                currency=data["currency"],
                reference=data["reference"],
            )
        appointment.refresh_from_db(fields=["payment_status"])
        return Response(
            {
                "event_id": event.validated_data["id"],
                "processed": processed,
                "appointment": appointment.pk,
                "payment_status": appointment.payment_status,
            }
        )

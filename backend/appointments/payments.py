"""The one place an appointment's payment status changes (docs/payments.md)."""

import hashlib
import hmac
import time

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from common.errors import ConflictError, DomainError

from .models import Appointment, PaymentEvent, PaymentStatus
from .signals import payment_status_changed

ALLOWED_TRANSITIONS = {
    (PaymentStatus.PENDING, PaymentStatus.PAID),
    (PaymentStatus.PENDING, PaymentStatus.WAIVED),
    (PaymentStatus.PAID, PaymentStatus.REFUNDED),
}


class InvalidPaymentTransition(ConflictError):
    default_code = "invalid_payment_transition"


def change_payment_status(
    *,
    appointment: Appointment,
    to_status: str,
    source: str,
    actor: User | None = None,
    reference: str = "",
    provider_event_id: str | None = None,
) -> Appointment:
    """Move the payment status along an allowed transition and log the event."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        from_status = appointment.payment_status
        if (from_status, to_status) not in ALLOWED_TRANSITIONS:
            raise InvalidPaymentTransition(
                f"A payment cannot go from {from_status} to {to_status}."
            )
        appointment.payment_status = to_status
        appointment.save(update_fields=["payment_status", "updated_at"])
        PaymentEvent.objects.create(
            appointment=appointment,
            from_status=from_status,
            to_status=to_status,
            amount=appointment.total_amount,
            currency=appointment.currency,
            reference=reference,
            source=source,
            actor=actor,
            provider_event_id=provider_event_id,
        )
        payment_status_changed.send(
            sender=Appointment,
            appointment=appointment,
            old_status=from_status,
            new_status=to_status,
        )
    return appointment


# --- payment provider webhook -------------------------------------------------------------------


class InvalidSignature(DomainError):
    status_code = 401
    default_code = "invalid_signature"
    default_detail = "The webhook signature is missing or wrong."


class StaleWebhook(DomainError):
    status_code = 401
    default_code = "stale_timestamp"
    default_detail = "The webhook timestamp is outside the tolerance window."


class WebhookNotConfigured(DomainError):
    status_code = 503
    default_code = "webhook_not_configured"
    default_detail = "PAYMENT_WEBHOOK_SECRET is not set on this server."


class UnknownAppointment(DomainError):
    status_code = 404
    default_code = "unknown_appointment"
    default_detail = "No appointment has this id."


class AmountMismatch(ConflictError):
    default_code = "amount_mismatch"
    default_detail = "The paid amount or currency does not match the appointment."


def sign_webhook(*, body: bytes, timestamp: int, secret: str) -> str:
    """The `CareSlot-Signature` header value for a body: `t=<unix time>,v1=<hex HMAC-SHA256>`
    of `<t>.<raw body>` with the shared secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_webhook_signature(*, body: bytes, header: str) -> None:
    secret = settings.PAYMENT_WEBHOOK_SECRET
    if not secret:
        raise WebhookNotConfigured()
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    raw_timestamp, signature = parts.get("t", ""), parts.get("v1", "")
    # Both ASCII, the time at most 12 digits: int() also reads "1_000" and other scripts'
    # digits, an integer too large for a float breaks the age check below, and compare_digest
    # raises TypeError on non-ASCII text.
    well_formed = raw_timestamp.isascii() and raw_timestamp.isdigit() and len(raw_timestamp) <= 12
    if not (well_formed and signature and signature.isascii()):
        raise InvalidSignature()
    timestamp = int(raw_timestamp)
    expected = sign_webhook(body=body, timestamp=timestamp, secret=secret).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, signature):
        raise InvalidSignature()
    if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS:
        raise StaleWebhook()


def record_provider_payment(
    *, event_id: str, appointment: Appointment, amount, currency: str, reference: str
) -> tuple[Appointment, bool]:
    """Mark the appointment paid for a provider event; a replayed event id changes nothing.
    Returns the appointment and whether this call processed the event."""
    with transaction.atomic():
        # Deliveries for one appointment take turns: a repeat delivered at the same moment
        # waits here, then finds the event recorded (and is acknowledged, not a 409).
        Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
        return _record_provider_payment(
            event_id=event_id,
            appointment=appointment,
            amount=amount,
            currency=currency,
            reference=reference,
        )


def _record_provider_payment(
    *, event_id: str, appointment: Appointment, amount, currency: str, reference: str
) -> tuple[Appointment, bool]:
    if PaymentEvent.objects.filter(provider_event_id=event_id).exists():
        return appointment, False
    if amount != appointment.total_amount or currency != appointment.currency:
        raise AmountMismatch()
    try:
        appointment = change_payment_status(
            appointment=appointment,
            to_status=PaymentStatus.PAID,
            source="provider",
            reference=reference,
            provider_event_id=event_id,
        )
    except IntegrityError:  # the same event delivered twice at once: the other one won
        return appointment, False
    return appointment, True

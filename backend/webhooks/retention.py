"""Retention of webhook deliveries and their attempts (docs/privacy.md)."""

from datetime import datetime

from .models import DeliveryStatus, WebhookDelivery


def prune_webhook_deliveries(*, before: datetime) -> int:
    """Delete finished deliveries (succeeded or failed for good) last changed before `before`,
    with their attempts; pending ones stay whatever their age."""
    finished = WebhookDelivery.objects.filter(
        status__in=(DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED), updated_at__lt=before
    )
    return finished.delete()[1].get(WebhookDelivery._meta.label, 0)

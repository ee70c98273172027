"""Webhook reads, scoped to the caller."""

from django.db.models import Prefetch, QuerySet

from accounts.permissions import is_platform_admin
from clinics.permissions import clinics_administered_by
from integrations.principal import is_integration_client

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoints_visible_to(user) -> QuerySet[WebhookEndpoint]:
    """Platform admins see every endpoint; clinic admins and integration clients their
    clinics'; nobody else any."""
    if not user.is_authenticated:
        return WebhookEndpoint.objects.none()
    if is_platform_admin(user):
        return WebhookEndpoint.objects.all()
    if is_integration_client(user):
        return WebhookEndpoint.objects.filter(clinic_id=user.clinic_id)
    return WebhookEndpoint.objects.filter(clinic__in=clinics_administered_by(user).values("pk"))


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first, each with its attempts (one query more)."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("attempt")))
        .order_by("-created_at", "id")
    )

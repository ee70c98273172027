"""Reads of integration clients."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.permissions import is_platform_admin
from clinics.permissions import clinics_administered_by

from .models import IntegrationClient


def clients_visible_to(user) -> QuerySet[IntegrationClient]:
    """Clinic admins see their clinics' clients (revoked ones too); platform admins all."""
    clients = IntegrationClient.objects.select_related("clinic")
    if not user.is_authenticated:
        return clients.none()
    if is_platform_admin(user):
        return clients
    return clients.filter(clinic__in=clinics_administered_by(user).values("pk"))


def live_clients() -> QuerySet[IntegrationClient]:
    """Clients that may still get and use tokens: not revoked, not expired, clinic active."""
    return IntegrationClient.objects.select_related("clinic").filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
        revoked_at__isnull=True,
        clinic__is_active=True,
    )

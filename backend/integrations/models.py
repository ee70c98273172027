from django.conf import settings
from django.db import models
from django.db.models import Q

from clinics.models import Clinic
from common.models import TimeStampedModel


class AuthMethod(models.TextChoices):
    """How the client proves itself at the token endpoint (RFC 7591 names)."""

    CLIENT_SECRET = "client_secret_post", "Client id and secret (body or HTTP Basic)"
    PRIVATE_KEY_JWT = "private_key_jwt", "A JWT signed with the client's key (SMART Backend)"


class IntegrationClient(TimeStampedModel):
    """A clinic's machine credential: it exchanges its secret or a signed assertion for a
    short-lived access token carrying the scopes below. Revoked, never deleted."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="integration_clients")
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    auth_method = models.CharField(
        max_length=32, choices=AuthMethod.choices, default=AuthMethod.CLIENT_SECRET
    )
    # SHA-256 of the secret: 256 random bits need no slow hash (docs/integrations.md).
    secret_hash = models.CharField(max_length=64, blank=True)
    # The secret's first characters, so an admin can tell which secret a leak report names.
    secret_hint = models.CharField(max_length=24, blank=True)
    jwks = models.JSONField(null=True, blank=True)
    requests_per_minute = models.PositiveIntegerField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["clinic", "created_at"], name="integration_client_clinic")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(auth_method="client_secret_post") & ~Q(secret_hash=""))
                | (Q(auth_method="private_key_jwt") & Q(jwks__isnull=False)),
                name="integration_client_has_credential",
            ),
            models.CheckConstraint(
                condition=Q(requests_per_minute__gte=1), name="integration_client_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.clinic_id})"


class UsedAssertion(models.Model):
    """A client assertion's jti, kept until the assertion expires: each is accepted once."""

    client = models.ForeignKey(IntegrationClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="used_assertion_unique"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="used_assertion_expiry")]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.jti}"

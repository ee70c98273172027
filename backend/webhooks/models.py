"""Clinics' webhook endpoints, the events queued for them, and every attempt to deliver one."""

from django.conf import settings
from django.db import models

from clinics.models import Clinic
from common.models import TimeStampedModel, UUIDModel


class WebhookEndpoint(TimeStampedModel):
    """A URL of a clinic's own software that receives the events it subscribed to, signed
    with its secret (Standard Webhooks). Disabled by hand, or by the delivery task after
    `WEBHOOK_MAX_CONSECUTIVE_FAILURES` failed deliveries in a row."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    # The signing key (`whsec_` + base64): HMAC needs it in the clear, so it is stored as is
    # and shown to the clinic once, on creation and on each rotation.
    secret = models.CharField(max_length=100)
    # The key before the last rotation keeps signing (a second signature) until this time,
    # so a receiver can switch keys without dropping events.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["clinic", "enabled"], name="webhook_endpoint_clinic_idx")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(TimeStampedModel):
    """One event for one endpoint: its id is the `webhook-id` header, the same on every
    attempt, so receivers can drop duplicates."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint_idx")
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.pk}"


class WebhookAttempt(UUIDModel):
    """One HTTP request made for a delivery (or refused before it was made)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempt = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    succeeded = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    manual = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempt", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "attempt"], name="webhook_attempt_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.attempt}"

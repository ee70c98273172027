from django.conf import settings
from django.db import models

from common.models import TimeStampedModel


class FeedRole(models.TextChoices):
    PATIENT = "patient", "Patient: my appointments"
    DOCTOR = "doctor", "Doctor: my patients' appointments with me"


class CalendarFeed(TimeStampedModel):
    """A private iCalendar subscription URL of one person in one role. Only the SHA-256 of its
    token is stored: the URL is shown once, when created or rotated."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    role = models.CharField(max_length=16, choices=FeedRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="calendar_feed_one_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"

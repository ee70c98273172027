from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel, UUIDModel


class Review(TimeStampedModel):
    """A patient's rating of a completed appointment. Hidden reviews (moderation) stay in the
    table but count neither in the doctor's list nor in their average."""

    appointment = models.OneToOneField(
        "appointments.Appointment", on_delete=models.PROTECT, related_name="review"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="reviews"
    )
    doctor = models.ForeignKey("doctors.Doctor", on_delete=models.PROTECT, related_name="reviews")
    rating = models.PositiveSmallIntegerField(help_text="1 (poor) to 5 (excellent)")
    comment = models.CharField(max_length=2000, blank=True)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=500, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(is_hidden=True, hidden_at__isnull=False)
                | Q(is_hidden=False, hidden_at__isnull=True),
                name="review_hidden_iff_hidden_at",
            ),
        ]
        indexes = [
            # The doctor's public list (newest first) and the rating aggregate.
            models.Index(
                fields=["doctor", "created_at"],
                condition=Q(is_hidden=False),
                name="review_doctor_visible_idx",
            ),
            models.Index(fields=["patient", "created_at"], name="review_patient_created_idx"),
            # Platform admins' list of every review, newest first or by rating.
            models.Index(fields=["created_at"], name="review_created_idx"),
            models.Index(fields=["rating"], name="review_rating_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.doctor} by {self.patient}"


class ModerationAction(models.TextChoices):
    HIDE = "hide", "Hidden"
    UNHIDE = "unhide", "Shown again"


class ReviewModerationEvent(UUIDModel):
    """Append-only log of a platform admin hiding or showing a review, with the reason."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="moderation_events")
    action = models.CharField(max_length=8, choices=ModerationAction.choices)
    reason = models.CharField(max_length=500, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.moderator} at {self.created_at:%Y-%m-%d %H:%M}Z"

from django.conf import global_settings, settings
from django.core.validators import MinValueValidator
from django.db import models

from common.models import TimeStampedModel, UUIDModel

LANGUAGE_CHOICES = [(code, name) for code, name in global_settings.LANGUAGES if "-" not in code]


class Specialty(UUIDModel):
    """A medical specialty doctors are listed under (cardiology, dermatology...)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self) -> str:
        return self.name


class Doctor(TimeStampedModel):
    """A doctor's profile; unconfirmed doctors are hidden from patients and publish no slots."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor"
    )
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="doctors")
    license_number = models.CharField(max_length=64, unique=True)
    bio = models.TextField(blank=True)
    consultation_fee = models.DecimalField(
        max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    average_rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    review_count = models.PositiveIntegerField(default=0)
    is_confirmed = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consultation_fee__gte=0), name="doctor_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(average_rating__isnull=True)
                | models.Q(average_rating__gte=1, average_rating__lte=5),
                name="doctor_rating_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["is_confirmed", "specialty"], name="doctor_confirmed_spec_idx"),
            models.Index(fields=["average_rating"], name="doctor_rating_idx"),
        ]

    def __str__(self) -> str:
        return f"Dr. {self.user.full_name}"


class DoctorLanguage(UUIDModel):
    """A language a doctor consults in (ISO 639-1 code)."""

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="languages")
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["doctor", "language"], name="doctor_language_unique")
        ]
        indexes = [models.Index(fields=["language", "doctor"], name="doctor_language_idx")]

    def __str__(self) -> str:
        return self.language

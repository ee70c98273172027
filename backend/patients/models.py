from django.conf import settings
from django.db import models
from guardian.models import UserObjectPermissionBase

from common.models import TimeStampedModel


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNDISCLOSED = "undisclosed", "Prefer not to say"


class Patient(TimeStampedModel):
    """A patient's profile. The points balance lives in the loyalty ledger, not here."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient"
    )
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=16, choices=Gender.choices, default=Gender.UNDISCLOSED)
    address = models.CharField(max_length=255, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        # The patient list's orderings (by name goes through user_name_idx).
        indexes = [
            models.Index(fields=["created_at"], name="patient_created_idx"),
            models.Index(fields=["date_of_birth"], name="patient_birth_date_idx"),
        ]

    def __str__(self) -> str:
        return f"Patient {self.user.full_name}"


class PatientUserObjectPermission(UserObjectPermissionBase):
    """guardian's per-patient permissions (doctors treating the patient) with a real foreign key."""

    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from guardian.models import UserObjectPermissionBase

from common.models import TimeStampedModel
from common.timezones import zone_or_error


def validate_timezone(value: str) -> None:
    zone_or_error(value)


class Clinic(TimeStampedModel):
    """A place where doctors see patients; deactivated, never deleted, once referred to."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code")
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    is_active = models.BooleanField(default=True)
    # Its admins and (accepted) doctors must sign in with a second factor (docs/security.md).
    require_staff_mfa = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["city", "is_active"], name="clinic_city_active_idx"),
            # `city` filters are case-insensitive (UPPER(city) = UPPER(%s)); the expression
            # index also gives the planner statistics for them: without, it guessed one clinic
            # per city and planned slot search around the guess (twice as slow).
            models.Index(Upper("city"), name="clinic_city_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ClinicUserObjectPermission(UserObjectPermissionBase):
    """guardian's per-clinic permissions with a real foreign key (faster, and cascades cleanly)."""

    content_object = models.ForeignKey(Clinic, on_delete=models.CASCADE)


class DoctorClinicAssociation(TimeStampedModel):
    """A doctor working at a clinic (the doctor_clinic_associations table). Ended, never deleted.

    An association a clinic (or a platform admin) makes is an invitation until the doctor
    accepts it: `pending` (inactive, not accepted, not ended), then `active` (accepted), then
    ended. Only an active one lists the doctor at the clinic, lets them publish slots there and
    lets the clinic's admins act on their appointments (docs/security.md)."""

    doctor = models.ForeignKey(
        "doctors.Doctor", on_delete=models.PROTECT, related_name="associations"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="associations")
    title = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    started_on = models.DateField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "doctor_clinic_associations"
        ordering = ["-started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "clinic"],
                condition=Q(ended_on__isnull=True),
                name="association_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, ended_on__isnull=True, accepted_at__isnull=False)
                | Q(is_active=False, ended_on__isnull=False)
                | Q(is_active=False, ended_on__isnull=True, accepted_at__isnull=True),
                name="association_active_pending_or_ended",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "is_active"], name="association_clinic_idx"),
            models.Index(fields=["doctor", "is_active"], name="association_doctor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} at {self.clinic}"

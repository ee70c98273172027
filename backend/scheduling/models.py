from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q

from common.constraints import PostgresExclusionConstraint, TsTzRange
from common.date_windows import storable_times
from common.models import TimeStampedModel


class SlotStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    BOOKED = "booked", "Booked"
    BLOCKED = "blocked", "Blocked"


class Slot(TimeStampedModel):
    """A doctor's bookable time at one clinic. A doctor's slots never overlap."""

    doctor = models.ForeignKey("doctors.Doctor", on_delete=models.PROTECT, related_name="slots")
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="slots")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=SlotStatus.choices, default=SlotStatus.AVAILABLE
    )

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_end_after_start"),
            storable_times("slot"),
            PostgresExclusionConstraint(
                name="slot_no_overlap_per_doctor",
                expressions=[
                    ("doctor", RangeOperators.EQUAL),
                    (TsTzRange("start", "end"), RangeOperators.OVERLAPS),
                ],
                violation_error_code="slot_overlap",
                violation_error_message="This slot overlaps another slot of the doctor.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["start"], condition=Q(status="available"), name="slot_available_start_idx"
            ),
            models.Index(fields=["doctor", "status", "start"], name="slot_doctor_status_start_idx"),
            models.Index(fields=["clinic", "start"], name="slot_clinic_start_idx"),
            # Platform admins' slot list, by start (the default) or by status.
            models.Index(fields=["start"], name="slot_start_idx"),
            models.Index(fields=["status", "id"], name="slot_status_idx"),
            # A doctor's first bookable slot at one clinic (the directory's next_available):
            # an index seek that returns slots in start order, no sort.
            models.Index(
                fields=["doctor", "clinic", "start"],
                condition=Q(status="available"),
                name="slot_bookable_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.start:%Y-%m-%d %H:%M}Z ({self.status})"


class HoldSource(models.TextChoices):
    PATIENT = "patient", "Held by the patient"
    WAITLIST = "waitlist", "Offered from the waitlist"


class HoldOutcome(models.TextChoices):
    BOOKED = "booked", "Booked by the holder"
    RELEASED = "released", "Released before expiry"


class SlotHold(TimeStampedModel):
    """A slot kept for one patient until `ends_at`: nobody else may book it meanwhile.

    A hold is live while `ends_at` is in the future; expiry needs no worker, every
    availability query compares `ends_at` with the time. Releasing or booking ends it early
    (`ends_at` becomes that moment, `outcome` says which). At most one live hold per slot: the
    exclusion constraint refuses two holds of one slot whose [held_at, ends_at) ranges overlap,
    which (since a new hold starts now) is exactly "another hold is still live"."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="holds")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="slot_holds"
    )
    source = models.CharField(max_length=16, choices=HoldSource.choices, default=HoldSource.PATIENT)
    held_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="When the hold lapses if nothing ends it first")
    ends_at = models.DateTimeField(help_text="expires_at, or when it was booked or released")
    outcome = models.CharField(max_length=16, choices=HoldOutcome.choices, blank=True)

    class Meta:
        ordering = ["held_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("held_at")), name="slot_hold_ends_after_start"
            ),
            PostgresExclusionConstraint(
                name="slot_hold_one_live_per_slot",
                expressions=[
                    ("slot", RangeOperators.EQUAL),
                    (TsTzRange("held_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                violation_error_code="slot_held",
                violation_error_message="This slot is held by someone else.",
            ),
        ]
        indexes = [
            # "Is this slot held now?" (every availability query) and "my live holds".
            models.Index(fields=["slot", "ends_at"], name="slot_hold_slot_ends_idx"),
            models.Index(fields=["patient", "ends_at"], name="slot_hold_patient_ends_idx"),
        ]

    def __str__(self) -> str:
        return f"hold of {self.slot_id} for {self.patient_id} until {self.ends_at:%H:%M}Z"


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video"
    PHONE = "phone", "Phone"


class VisitType(TimeStampedModel):
    """What a patient books: a doctor's own (at every clinic they work at), or a clinic's for
    all of its doctors. Its length, buffers and price are copied onto the appointment at
    booking (docs/scheduling.md, "Visit types"); changing or retiring a type later leaves the
    appointments made with it as they were."""

    doctor = models.ForeignKey(
        "doctors.Doctor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit_types",
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit_types",
    )
    name = models.CharField(max_length=120)
    reason_code = models.SlugField(max_length=64)
    duration_minutes = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=12, decimal_places=2)
    modality = models.CharField(max_length=16, choices=Modality.choices)
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    min_notice_minutes = models.PositiveIntegerField(default=0)
    horizon_days = models.PositiveIntegerField(default=90)
    new_patients_allowed = models.BooleanField(default=True)
    phone_number = models.CharField(
        max_length=32, blank=True, help_text="Phone visits: the number the patient calls"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(doctor__isnull=False, clinic__isnull=True)
                | Q(doctor__isnull=True, clinic__isnull=False),
                name="visit_type_doctor_xor_clinic",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="visit_type_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__lte=240, buffer_after_minutes__lte=240),
                name="visit_type_buffers_range",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="visit_type_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["doctor", "is_active"], name="visit_type_doctor_idx"),
            models.Index(fields=["clinic", "is_active"], name="visit_type_clinic_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min, {self.modality})"

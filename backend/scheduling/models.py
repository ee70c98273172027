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

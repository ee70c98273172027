from django.db import models
from django.db.models import F, Q

from common.models import TimeStampedModel


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked with the doctor"
    LEFT = "left", "Left the waitlist"


class WaitlistEntry(TimeStampedModel):
    """A patient waiting for a slot of one doctor, optionally at one clinic, within a date range
    and between times of day (wall-clock times in the clinic's zone). The queue is ordered by
    `created_at`, then id: the earliest waiting patient gets the next matching slot."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    doctor = models.ForeignKey(
        "doctors.Doctor", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist_entries",
    )
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    time_from = models.TimeField(null=True, blank=True)
    time_to = models.TimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=EntryStatus.choices, default=EntryStatus.WAITING
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "doctor"],
                condition=Q(status="waiting"),
                name="waitlist_one_waiting_entry_per_doctor",
                violation_error_code="already_waiting",
            ),
            models.CheckConstraint(
                condition=Q(date_from__isnull=True)
                | Q(date_to__isnull=True)
                | Q(date_to__gte=F("date_from")),
                name="waitlist_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(time_from__isnull=True)
                | Q(time_to__isnull=True)
                | Q(time_to__gt=F("time_from")),
                name="waitlist_times_in_order",
            ),
        ]
        indexes = [
            # The queue of one doctor, in order (offers, lengths and positions read it).
            models.Index(
                fields=["doctor", "created_at", "id"],
                condition=Q(status="waiting"),
                name="waitlist_queue_idx",
            ),
            models.Index(fields=["patient", "created_at"], name="waitlist_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} waiting for {self.doctor_id} ({self.status})"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    BOOKED = "booked", "Booked"
    LAPSED = "lapsed", "Lapsed (expired or released)"
    WITHDRAWN = "withdrawn", "Withdrawn (the patient left or booked another slot)"


class WaitlistOffer(TimeStampedModel):
    """A freed slot offered to one waiting patient: a slot hold in their name until
    `expires_at`. At most one open offer per slot and per entry, and an entry is never offered
    the same slot twice (constraints)."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    slot = models.ForeignKey(
        "scheduling.Slot", on_delete=models.CASCADE, related_name="waitlist_offers"
    )
    hold = models.OneToOneField(
        "scheduling.SlotHold", on_delete=models.CASCADE, related_name="waitlist_offer"
    )
    status = models.CharField(max_length=16, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status="open"),
                name="waitlist_one_open_offer_per_slot",
            ),
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status="open"),
                name="waitlist_one_open_offer_per_entry",
            ),
            models.UniqueConstraint(
                fields=["entry", "slot"], name="waitlist_one_offer_per_entry_and_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"offer of {self.slot_id} to {self.entry_id} ({self.status})"

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q

from common.append_only import AppendOnlyModel
from common.constraints import MinutesLater, PostgresExclusionConstraint, TsTzRange
from common.date_windows import storable_times
from common.models import TimeStampedModel
from scheduling.models import Modality


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"
    WAIVED = "waived", "Waived (paid with points)"


class CancellationCause(models.TextChoices):
    REQUESTED = "requested", "Cancelled on request"
    ACCOUNT_DEACTIVATED = "account_deactivated", "Cancelled because an account was deactivated"


class Appointment(TimeStampedModel):
    """A patient's booking of a slot. Times, doctor, clinic and fees are copied at booking, so
    the appointment stays true if the slot or the doctor's fee changes later."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    doctor = models.ForeignKey(
        "doctors.Doctor", on_delete=models.PROTECT, related_name="appointments"
    )
    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, related_name="appointments"
    )
    slot = models.ForeignKey(
        "scheduling.Slot",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    notes = models.TextField(blank=True, help_text="The patient's note for the doctor")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    # Why the cancellation happened, kept apart from the reason so that the reason the
    # canceller wrote is stored whole (docs/admin-and-reports.md, "Deactivating an account").
    cancellation_cause = models.CharField(
        max_length=32, choices=CancellationCause.choices, blank=True, default="", db_default=""
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    consultation_fee = models.DecimalField(max_digits=12, decimal_places=2)
    transaction_fee = models.DecimalField(max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    points_used = models.PositiveIntegerField(
        default=0, help_text="Points redeemed to cover this appointment's fees"
    )
    # Bumped by every change a calendar must pick up (a reschedule, a cancellation): the
    # iCalendar SEQUENCE of the appointment's event (RFC 5545 3.8.7.4).
    sequence = models.PositiveIntegerField(default=0, db_default=0)
    # The doctor's pending proposal to move the appointment; the patient accepts or declines.
    proposed_slot = models.ForeignKey(
        "scheduling.Slot",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    # Who made the booking: the patient, or the guardian of a dependent (docs/families.md);
    # NULL for a clinic's integration client and for bookings made before it was recorded.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # NULL, not "", means "no key": NULLs stay out of the per-patient unique constraint.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)

    # What was booked (docs/scheduling.md, "Visit types"): copied from the visit type at
    # booking. An appointment booked without one is an in-person visit the length of its slot.
    visit_type = models.ForeignKey(
        "scheduling.VisitType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    modality = models.CharField(
        max_length=16, choices=Modality.choices, default=Modality.IN_PERSON, db_default="in_person"
    )
    buffer_before_minutes = models.PositiveIntegerField(default=0, db_default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0, db_default=0)
    # Video visits: the secret part of the join link (settings.VIDEO_JOIN_URL_TEMPLATE), shown
    # only to the patient and the doctor.
    video_room = models.CharField(max_length=64, blank=True, default="", db_default="")
    phone_number = models.CharField(max_length=32, blank=True, default="", db_default="")

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="cancelled", cancellation_cause__gt="")
                | (~Q(status="cancelled") & Q(cancellation_cause="")),
                name="appointment_cancellation_cause_iff_cancelled",
            ),
            models.UniqueConstraint(
                fields=["slot"],
                condition=~Q(status="cancelled"),
                name="appointment_one_active_per_slot",
                violation_error_code="slot_unavailable",
            ),
            models.UniqueConstraint(
                fields=["patient", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="appointment_idempotency_key_per_patient",
            ),
            PostgresExclusionConstraint(
                name="appointment_patient_no_overlap",
                expressions=[
                    ("patient", RangeOperators.EQUAL),
                    (TsTzRange("start", "end"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="booked"),
                violation_error_code="patient_overlap",
            ),
            # A doctor's booked appointments never overlap, buffers included, whatever the
            # slots or visit types that made them (docs/scheduling.md).
            PostgresExclusionConstraint(
                name="appointment_doctor_no_overlap",
                expressions=[
                    ("doctor", RangeOperators.EQUAL),
                    (
                        TsTzRange(
                            MinutesLater("start", -F("buffer_before_minutes")),
                            MinutesLater("end", "buffer_after_minutes"),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status="booked"),
                violation_error_code="slot_unavailable",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="appointment_end_after_start"
            ),
            storable_times("appointment"),
            models.CheckConstraint(
                condition=Q(total_amount=F("consultation_fee") + F("transaction_fee")),
                name="appointment_total_is_sum",
            ),
            models.CheckConstraint(
                condition=Q(consultation_fee__gte=0, transaction_fee__gte=0),
                name="appointment_fees_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False)
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="appointment_cancelled_iff_cancelled_at",
            ),
        ]
        indexes = [
            # A patient's appointments; the included columns let the user-activity report
            # count appointments per patient in index order, without touching the table.
            models.Index(
                fields=["patient", "start"],
                include=["status", "id"],
                name="appointment_patient_start_idx",
            ),
            models.Index(fields=["doctor", "start"], name="appointment_doctor_start_idx"),
            models.Index(fields=["clinic", "start"], name="appointment_clinic_start_idx"),
            models.Index(fields=["status", "start"], name="appointment_status_start_idx"),
            models.Index(fields=["created_at"], name="appointment_created_idx"),
            # The reports: every column they count or sum, so a date window is an index-only
            # scan instead of a walk over the whole table.
            models.Index(
                fields=["start"],
                include=[
                    "id",
                    "status",
                    "payment_status",
                    "consultation_fee",
                    "transaction_fee",
                    "total_amount",
                    "doctor",
                    "clinic",
                    "patient",
                ],
                name="appointment_report_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.doctor} at {self.start:%Y-%m-%d %H:%M}Z"


class PaymentEvent(AppendOnlyModel):
    """One change of an appointment's payment status: who, when, from, to, amount, reference."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="payment_events"
    )
    from_status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    to_status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=255, blank=True)
    source = models.CharField(
        max_length=16,
        choices=[
            ("staff", "Staff"),
            ("provider", "Payment provider"),
            ("points", "Points"),
            ("system", "System"),
        ],
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # NULL for events that did not come from the provider; unique so a webhook replay is a no-op.
    provider_event_id = models.CharField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["appointment", "created_at"], name="payment_event_appt_idx")
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_status} -> {self.to_status}"

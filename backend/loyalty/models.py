from django.conf import settings
from django.db import models
from django.db.models import Q

from common.append_only import AppendOnlyModel
from common.models import UUIDModel


class PointsKind(models.TextChoices):
    EARNED = "earned", "Earned (completed appointment)"
    REDEEMED = "redeemed", "Redeemed (free booking)"
    REFUNDED = "refunded", "Refunded (cancelled free booking)"
    ADJUSTED = "adjusted", "Adjusted by a platform admin"


class PointsAccount(UUIDModel):
    """A patient's cached balance: always the sum of their ledger, changed only under a row
    lock in the same transaction as the ledger row, and never negative."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.balance} points"


class PointsTransaction(AppendOnlyModel):
    """One entry of the append-only points ledger. Positive amounts add, negative spend."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="points_transactions"
    )
    kind = models.CharField(max_length=16, choices=PointsKind.choices)
    amount = models.IntegerField()
    appointment = models.ForeignKey(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_transactions",
    )
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            # Each appointment earns, redeems and refunds at most once.
            models.UniqueConstraint(
                fields=["appointment", "kind"],
                condition=Q(kind__in=["earned", "redeemed", "refunded"]),
                name="points_once_per_appointment_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="earned", amount__gt=0, appointment__isnull=False)
                | Q(kind="redeemed", amount__lt=0, appointment__isnull=False)
                | Q(kind="refunded", amount__gt=0, appointment__isnull=False)
                | (Q(kind="adjusted") & ~Q(amount=0) & ~Q(reason="")),
                name="points_amount_sign_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-created_at"], name="points_patient_created_idx"),
            # Platform admins' ledger of every patient, newest first.
            models.Index(fields=["created_at"], name="points_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} for {self.patient_id}"

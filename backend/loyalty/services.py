"""Points writes. Every change locks the patient's account row, appends one ledger row and
moves the cached balance by the same amount, in one transaction."""

from django.conf import settings
from django.db import transaction

from accounts.models import User
from common.errors import ConflictError
from patients.models import Patient

from .models import PointsAccount, PointsKind, PointsTransaction


class InsufficientPoints(ConflictError):
    default_code = "insufficient_points"
    default_detail = "Not enough points."


def _locked_account(patient: Patient) -> PointsAccount:
    PointsAccount.objects.get_or_create(patient=patient)
    return PointsAccount.objects.select_for_update().get(patient=patient)


def _append(*, patient: Patient, kind: str, amount: int, **fields) -> PointsTransaction:
    account = _locked_account(patient)
    if account.balance + amount < 0:
        raise InsufficientPoints(
            f"This needs {abs(amount)} points; the balance is {account.balance}."
        )
    entry = PointsTransaction.objects.create(patient=patient, kind=kind, amount=amount, **fields)
    account.balance += amount
    account.save(update_fields=["balance", "updated_at"])
    return entry


def points_holder(appointment) -> Patient:
    """Whose ledger an appointment's points go to and come from: the patient's, or for a
    dependent (who has no account to spend them) the account that booked it (docs/families.md)."""
    patient = appointment.patient
    if not patient.is_dependent or appointment.booked_by_id is None:
        return patient
    return Patient.objects.filter(user_id=appointment.booked_by_id).first() or patient


@transaction.atomic
def award_points_for_completion(*, appointment) -> PointsTransaction | None:
    """Points for a completed appointment, once (a unique constraint backs the check)."""
    earned = PointsTransaction.objects.filter(appointment=appointment, kind=PointsKind.EARNED)
    if earned.exists() or settings.POINTS_PER_COMPLETED_APPOINTMENT <= 0:
        return None
    return _append(
        patient=points_holder(appointment),
        kind=PointsKind.EARNED,
        amount=settings.POINTS_PER_COMPLETED_APPOINTMENT,
        appointment=appointment,
    )


@transaction.atomic
def redeem_points_for_booking(*, appointment, actor: User) -> PointsTransaction:
    """Spend `POINTS_FOR_FREE_BOOKING` on this appointment, or raise `InsufficientPoints`."""
    return _append(
        patient=points_holder(appointment),
        kind=PointsKind.REDEEMED,
        amount=-settings.POINTS_FOR_FREE_BOOKING,
        appointment=appointment,
        actor=actor,
    )


@transaction.atomic
def refund_points_for_cancellation(*, appointment, actor: User | None) -> PointsTransaction | None:
    """Give back what a cancelled appointment redeemed, once."""
    redeemed = (
        PointsTransaction.objects.select_related("patient")
        .filter(appointment=appointment, kind=PointsKind.REDEEMED)
        .first()
    )
    refunded = PointsTransaction.objects.filter(appointment=appointment, kind=PointsKind.REFUNDED)
    if redeemed is None or refunded.exists():
        return None
    # Back to the ledger it was taken from.
    return _append(
        patient=redeemed.patient,
        kind=PointsKind.REFUNDED,
        amount=-redeemed.amount,
        appointment=appointment,
        actor=actor,
    )


@transaction.atomic
def adjust_points(*, patient: Patient, amount: int, reason: str, actor: User) -> PointsTransaction:
    """A platform admin's correction, with its reason; it cannot take the balance below zero."""
    return _append(
        patient=patient, kind=PointsKind.ADJUSTED, amount=amount, reason=reason, actor=actor
    )

"""Appointment writes: booking (race-proof), cancellation and the doctor's outcomes."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from accounts.permissions import is_platform_admin
from clinics.permissions import administers_clinic, clinics_administered_by
from common.errors import ConflictError, DomainError, UnprocessableError, field_error
from loyalty.services import (
    award_points_for_completion,
    redeem_points_for_booking,
    refund_points_for_cancellation,
)
from patients.models import Patient
from patients.permissions import (
    acts_for_patient,
    grant_doctor_access_to_patient,
    patients_acted_for_by,
    revoke_doctor_access_to_patient,
)
from patients.signals import note_acting_for
from scheduling import signals as slot_signals
from scheduling.models import HoldOutcome, Modality, Slot, SlotStatus, VisitType
from scheduling.selectors import bookable_slots, free_slots, live_holds, visit_types_at
from scheduling.services import SlotHeld, end_hold

from . import signals, tasks
from .fees import Fees, fees_for
from .models import Appointment, AppointmentStatus, CancellationCause, PaymentStatus
from .payments import change_payment_status
from .reminders import reminder_times


class SlotUnavailable(ConflictError):
    default_code = "slot_unavailable"
    default_detail = "This slot is no longer available."


class UnknownSlot(SlotUnavailable):
    """No slot has this id: for FHIR a slot like any other that cannot be booked; the REST
    API answers it as a 400 on its `slot` field, as its input serializers do."""

    default_detail = "No slot has this id."


class SlotInPast(ConflictError):
    default_code = "slot_in_past"
    default_detail = "This slot has already started."


class TooManyActiveBookings(ConflictError):
    default_code = "too_many_active_bookings"


class BookingChurnLimit(ConflictError):
    default_code = "booking_churn_limit"
    default_detail = "You cancelled too many appointments in the last 24 hours; book again later."


class PatientOverlap(ConflictError):
    default_code = "patient_overlap"
    default_detail = "You already have an appointment at an overlapping time."


class IdempotencyKeyReused(UnprocessableError):
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with a different request body."


class InvalidTransition(ConflictError):
    default_code = "invalid_transition"
    default_detail = "The appointment is not booked any more."


class CancellationWindowClosed(ConflictError):
    default_code = "cancellation_window_closed"


class AppointmentStarted(ConflictError):
    default_code = "appointment_started"
    default_detail = "The appointment has already started."


class PaidFeeMismatch(ConflictError):
    default_code = "paid_fee_mismatch"
    default_detail = (
        "The appointment is paid and the new slot's doctor charges a different fee: cancel it "
        "(the clinic refunds) and book the new slot instead."
    )


class PaidClinicChange(ConflictError):
    default_code = "paid_clinic_change"
    default_detail = (
        "The appointment is paid to its clinic and the new slot is at another clinic: cancel it "
        "(the clinic refunds) and book the new slot instead."
    )


class PatientConsentRequired(ConflictError):
    default_code = "patient_consent_required"
    default_detail = (
        "Moving the appointment to another doctor needs the patient's consent: propose the slot "
        "(POST .../reschedule-proposal/) and the patient accepts it."
    )


class NoPendingProposal(ConflictError):
    default_code = "no_pending_proposal"
    default_detail = "The appointment has no pending reschedule proposal."


class AppointmentNotStarted(ConflictError):
    default_code = "appointment_not_started"
    default_detail = "An appointment's outcome can be recorded only once it has started."


@dataclass
class BookingResult:
    appointment: Appointment
    created: bool


class NoPatientProfile(DomainError):
    status_code = 403
    default_code = "permission_denied"
    default_detail = "You have no patient profile."


def booking_fingerprint(*, slot_id, notes: str, use_points: bool, visit_type_id=None) -> str:
    """What makes two bookings under one Idempotency-Key the same request."""
    booking = {"slot": str(slot_id), "notes": notes, "use_points": use_points}
    if visit_type_id is not None:
        booking["visit_type"] = str(visit_type_id)
    canonical = json.dumps(booking, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def book_appointment(
    *,
    patient: Patient | None = None,
    user: User | None = None,
    slot_id,
    notes: str = "",
    use_points: bool = False,
    idempotency_key: str | None = None,
    visit_type_id=None,
    booked_by: User | None = None,
) -> BookingResult:
    """Book a slot for the patient (or `user`'s patient profile): lock the slot, insert the
    appointment, mark the slot booked, in one transaction. The partial unique index on active
    appointments per slot and the patient-overlap exclusion constraint decide every race; the
    returned appointment has the relations its serializer reads, so nothing is read back.
    With an `idempotency_key` already used by the patient, the first booking is returned if the
    request was the same (slot, notes, points, visit type), through the REST API or FHIR alike.
    With a `visit_type_id` the appointment is of that type: its length, buffers, modality and
    price (docs/scheduling.md, "Visit types"). `booked_by` is who made the booking when it is
    not the patient (a dependent's guardian, docs/families.md): it is recorded, and its
    cancellations count towards the churn limit."""
    fingerprint = booking_fingerprint(
        slot_id=slot_id, notes=notes, use_points=use_points, visit_type_id=visit_type_id
    )
    # Locking the patient row serializes one patient's bookings (limits and idempotency).
    # NO KEY UPDATE: rows that only reference the patient (a points adjustment's ledger row)
    # take KEY SHARE, which FOR UPDATE would block while the adjustment holds the points
    # account this booking waits for: a deadlock.
    whose = {"pk": patient.pk} if patient is not None else {"user": user}
    patient = (
        Patient.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .filter(**whose)
        .first()
    )
    if patient is None:
        raise NoPatientProfile()
    if idempotency_key:
        earlier = Appointment.objects.filter(patient=patient, idempotency_key=idempotency_key)
        if earlier := earlier.first():
            if earlier.idempotency_fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            return BookingResult(earlier, created=False)

    booked_by = booked_by or user
    actor = booked_by or patient.user
    _check_booking_limits(patient, actor=actor)
    slot = _lock_free_slot(slot_id)
    if not _doctor_still_active(slot.doctor.user_id):
        raise SlotUnavailable()
    # Its own statement, after the slot's lock (which the hold service takes too): a hold
    # committed while this request waited for the lock is visible only to a new snapshot.
    hold = live_holds().filter(slot=slot).first()
    if hold is not None and hold.patient_id != patient.pk:
        raise SlotHeld()
    if slot.doctor.user_id == patient.user_id:
        raise SlotUnavailable("You cannot book your own slot.")

    visit_type = None
    if visit_type_id is not None:
        visit_type = _visit_type_for(visit_type_id, slot=slot, patient=patient)
    appointment = _insert_appointment(
        patient,
        slot,
        notes,
        idempotency_key,
        fingerprint,
        visit_type=visit_type,
        booked_by=booked_by,
    )
    Slot.objects.filter(pk=slot.pk).update(status=SlotStatus.BOOKED, updated_at=timezone.now())
    if hold is not None:
        end_hold(hold=hold, outcome=HoldOutcome.BOOKED)
    if use_points:
        appointment = _cover_with_points(appointment, actor=actor)
    grant_doctor_access_to_patient(doctor_user=slot.doctor.user, patient=patient)
    note_acting_for(actor=booked_by, patient=patient, action="book")
    tasks.send_booking_confirmation.enqueue(appointment_id=str(appointment.pk))
    _schedule_reminders(appointment, zone=ZoneInfo(slot.clinic.timezone))
    signals.appointment_booked.send(sender=Appointment, appointment=appointment)
    return BookingResult(appointment, created=True)


def _lock_free_slot(slot_id) -> Slot:
    slot = (
        free_slots()
        .select_for_update(of=("self",))
        .select_related("doctor__user", "doctor__specialty", "clinic")
        .filter(pk=slot_id)
        .first()
    )
    if slot is not None:
        return slot
    # Booked, blocked, past or gone: another request may just have won.
    start = Slot.objects.filter(pk=slot_id).values_list("start", flat=True).first()
    if start is None:
        raise UnknownSlot()
    if start <= timezone.now():
        raise SlotInPast()
    raise SlotUnavailable()


def _visit_type_for(visit_type_id, *, slot: Slot, patient: Patient) -> VisitType:
    """The visit type the patient asked for, if the slot's doctor offers it there and the
    booking keeps its rules: it fits the slot, its notice and horizon, new patients."""
    visit_type = (
        visit_types_at(doctor_id=slot.doctor_id, clinic_id=slot.clinic_id)
        .filter(pk=visit_type_id)
        .first()
    )
    if visit_type is None:
        raise field_error(
            "visit_type",
            "The slot's doctor offers no such visit type at this clinic.",
            code="visit_type_not_offered",
        )
    if slot.start + timedelta(minutes=visit_type.duration_minutes) > slot.end:
        raise field_error(
            "visit_type", "The visit is longer than the slot.", code="visit_type_too_long"
        )
    now = timezone.now()
    if slot.start < now + timedelta(minutes=visit_type.min_notice_minutes):
        raise field_error(
            "visit_type",
            f"This visit must be booked at least {visit_type.min_notice_minutes} minutes ahead.",
            code="visit_type_notice",
        )
    if slot.start > now + timedelta(days=visit_type.horizon_days):
        raise field_error(
            "visit_type",
            f"This visit can be booked at most {visit_type.horizon_days} days ahead.",
            code="visit_type_horizon",
        )
    if not visit_type.new_patients_allowed and not _has_seen(patient, slot.doctor_id):
        raise field_error(
            "visit_type",
            "This visit is for the doctor's existing patients only.",
            code="visit_type_existing_patients_only",
        )
    return visit_type


def _has_seen(patient: Patient, doctor_id) -> bool:
    """An existing patient: one with a completed appointment with the doctor."""
    return Appointment.objects.filter(
        patient=patient, doctor_id=doctor_id, status=AppointmentStatus.COMPLETED
    ).exists()


def _insert_appointment(
    patient,
    slot,
    notes,
    idempotency_key,
    fingerprint,
    *,
    visit_type: VisitType | None = None,
    booked_by=None,
) -> Appointment:
    """One INSERT. The constraints decide a lost race: the slot's one active appointment, the
    patient's bookings that overlap, and the doctor's booked time with its buffers (no check
    before it, which could only repeat theirs)."""
    fee = slot.doctor.consultation_fee if visit_type is None else visit_type.price
    fees = fees_for(fee)
    appointment = Appointment(
        patient=patient,
        doctor=slot.doctor,
        clinic=slot.clinic,
        slot=slot,
        start=slot.start,
        end=slot.end,
        notes=notes,
        consultation_fee=fees.consultation_fee,
        transaction_fee=fees.transaction_fee,
        total_amount=fees.total_amount,
        currency=fees.currency,
        idempotency_key=idempotency_key or None,
        idempotency_fingerprint=fingerprint if idempotency_key else "",
        booked_by=booked_by,
    )
    if visit_type is not None:
        _apply_visit_type(appointment, visit_type)
    try:
        # No savepoint: on a violation the whole booking rolls back, nothing else runs.
        appointment.save(force_insert=True)
    except IntegrityError as exc:
        raise _booking_conflict(exc) from exc
    except OperationalError as exc:
        if _lost_overlap_race(exc):
            raise SlotUnavailable() from exc
        raise
    return appointment


def _lost_overlap_race(exc: OperationalError) -> bool:
    """Two bookings of overlapping times (with buffers) inserted at once each wait for the
    other's row in the exclusion constraint's index: PostgreSQL breaks the deadlock by failing
    one (SQLSTATE 40P01), which lost the race like any other overlapping booking."""
    return getattr(exc.__cause__, "sqlstate", None) == "40P01"


def _apply_visit_type(appointment: Appointment, visit_type: VisitType) -> None:
    appointment.visit_type = visit_type
    appointment.end = appointment.start + timedelta(minutes=visit_type.duration_minutes)
    appointment.modality = visit_type.modality
    appointment.buffer_before_minutes = visit_type.buffer_before_minutes
    appointment.buffer_after_minutes = visit_type.buffer_after_minutes
    if visit_type.modality == Modality.VIDEO:
        appointment.video_room = secrets.token_urlsafe(24)
    if visit_type.modality == Modality.PHONE:
        appointment.phone_number = visit_type.phone_number


def _doctor_still_active(user_id) -> bool:
    """Whether the doctor's account is still active, read under a KEY SHARE lock of its row.
    Deactivation locks that row FOR UPDATE and then cancels the doctor's upcoming appointments:
    the lock makes it wait for this booking (and cancel it too), or this booking wait for it
    (and see the account off). Bookings do not block each other on it."""
    # SQLite (the embedded `make run` database) has no row locks: its one writer serializes.
    lock = " FOR KEY SHARE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT is_active FROM {User._meta.db_table} WHERE id = %s{lock}",  # noqa: S608
            [User._meta.pk.get_db_prep_value(user_id, connection)],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _schedule_reminders(appointment: Appointment, *, zone: ZoneInfo) -> None:
    """One deferred task per reminder still ahead; each checks the appointment again when it
    runs (cancelled, moved or started: nothing is sent)."""
    now = timezone.now()
    due_times = reminder_times(appointment.start, zone, settings.APPOINTMENT_REMINDER_HOURS)
    for hours, due in due_times:
        if due > now:
            tasks.send_appointment_reminder.using(run_after=due).enqueue(
                appointment_id=str(appointment.pk),
                start=appointment.start.isoformat(),
                hours_before=hours,
            )


def _check_booking_limits(patient: Patient, *, actor: User) -> None:
    """Abuse limits (OWASP API6): a cap on the patient's active future bookings (per profile:
    each dependent has their own), and on bookings right after a run of the actor's own
    cancellations (per account, across every profile they act for: cancel-and-rebook churn
    hoards slots whoever the appointments were for; docs/families.md)."""
    now = timezone.now()
    active = Q(status=AppointmentStatus.BOOKED, start__gt=now, patient=patient)
    churn = Q(cancelled_by=actor, cancelled_at__gt=now - timedelta(hours=24)) & (
        Q(patient=patient) | Q(patient__in=patients_acted_for_by(actor).values("pk"))
    )
    counts = Appointment.objects.filter(active | churn).aggregate(
        active=Count("pk", filter=active), recent_cancellations=Count("pk", filter=churn)
    )
    if counts["active"] >= settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT:
        raise TooManyActiveBookings(
            f"You already hold {counts['active']} upcoming appointments, the most allowed at once."
        )
    if counts["recent_cancellations"] >= settings.MAX_PATIENT_CANCELLATIONS_PER_DAY:
        raise BookingChurnLimit()


def _cover_with_points(appointment: Appointment, *, actor: User) -> Appointment:
    """Redeem the free-booking points (or raise InsufficientPoints, undoing the booking) and
    record the fees as covered: payment pending -> waived."""
    redemption = redeem_points_for_booking(appointment=appointment, actor=actor)
    Appointment.objects.filter(pk=appointment.pk).update(points_used=-redemption.amount)
    covered = change_payment_status(
        appointment=appointment,
        to_status=PaymentStatus.WAIVED,
        source="points",
        actor=actor,
        reference=f"points:{-redemption.amount}",
    )
    appointment.points_used = -redemption.amount
    appointment.payment_status = covered.payment_status
    return appointment


def _booking_conflict(exc: IntegrityError) -> ConflictError:
    if "appointment_patient_no_overlap" in str(exc):
        return PatientOverlap()
    return SlotUnavailable()


def _lock(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related(
            "patient__user",
            "doctor__user",
            "doctor__specialty",
            "clinic",
            "visit_type",
            "booked_by",
        )
        .get(pk=appointment.pk)
    )


@transaction.atomic
def cancel_appointment(
    *,
    appointment: Appointment,
    cancelled_by: User | None,
    reason: str = "",
    cause: str = CancellationCause.REQUESTED,
) -> Appointment:
    """Cancel before the start. Patients must do it `CANCELLATION_CUTOFF_HOURS` ahead; the
    doctor and the clinic's admins may cancel until the start. The slot becomes free again.
    `cancelled_by` None: the clinic's integration client did it, as the clinic's staff (the
    audit log names the client)."""
    appointment = _lock(appointment)
    now = timezone.now()
    _check_still_open(appointment, now)
    by_patient = cancelled_by is not None and acts_for_patient(cancelled_by, appointment.patient)
    by_doctor = cancelled_by is not None and appointment.doctor.user_id == cancelled_by.pk
    # Staff: the doctor, the clinic's admins or its integration, or a platform admin acting
    # through a service (account deactivation); the API itself does not let platform admins
    # cancel.
    by_staff = (
        cancelled_by is None
        or by_doctor
        or administers_clinic(cancelled_by, appointment.clinic)
        or is_platform_admin(cancelled_by)
    )
    if by_patient and not by_staff:
        _check_patient_window(appointment, now, verb="cancelled")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_by = cancelled_by
    appointment.cancelled_at = now
    appointment.status_changed_at = now
    appointment.cancellation_reason = reason
    appointment.cancellation_cause = cause
    appointment.sequence += 1
    appointment.proposed_slot = None
    appointment.proposed_at = None
    appointment.save(
        update_fields=[
            "status",
            "cancelled_by",
            "cancelled_at",
            "status_changed_at",
            "cancellation_reason",
            "cancellation_cause",
            "sequence",
            "proposed_slot",
            "proposed_at",
            "updated_at",
        ]
    )
    freed = _free_slot(appointment.slot_id, now=now)
    _revoke_access_without_appointments(patient=appointment.patient, doctor=appointment.doctor)
    _settle_cancelled(appointment, cancelled_by=cancelled_by, by_staff=by_staff)
    if by_patient:
        note_acting_for(actor=cancelled_by, patient=appointment.patient, action="cancel")
    # Tell the parties who did not cancel it themselves.
    for recipient, wanted in (
        (appointment.patient.user, not by_patient),
        (appointment.doctor.user, not by_doctor),
    ):
        if wanted:
            tasks.send_cancellation_notice.enqueue(
                appointment_id=str(appointment.pk), recipient_id=str(recipient.pk)
            )
    signals.appointment_cancelled.send(sender=Appointment, appointment=appointment)
    if freed is not None:
        slot_signals.slot_freed.send(sender=Slot, slot=freed)
    return appointment


def _check_still_open(appointment: Appointment, now) -> None:
    """Only a booked appointment that has not started can be cancelled or moved."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise InvalidTransition()
    if now >= appointment.start:
        raise AppointmentStarted()


def _check_patient_window(appointment: Appointment, now, *, verb: str) -> None:
    """A patient cancels or moves an appointment up to CANCELLATION_CUTOFF_HOURS ahead."""
    hours = settings.CANCELLATION_CUTOFF_HOURS
    if appointment.start - now < timedelta(hours=hours):
        raise CancellationWindowClosed(
            f"Appointments can be {verb} up to {hours} hours before they start."
        )


def _free_slot(slot_id, *, now) -> Slot | None:
    """A booked slot whose appointment left becomes available again; returns it (for the
    caller's `slot_freed`: the waitlist offers it on), or None if it was not booked."""
    if slot_id is None:
        return None
    freed = Slot.objects.filter(pk=slot_id, status=SlotStatus.BOOKED).update(
        status=SlotStatus.AVAILABLE, updated_at=now
    )
    return Slot.objects.get(pk=slot_id) if freed else None


def _settle_cancelled(
    appointment: Appointment, *, cancelled_by: User | None, by_staff: bool
) -> None:
    """Redeemed points come back; a paid appointment the doctor or clinic called off is
    refunded (a patient's own cancellation leaves the refund to the clinic)."""
    if appointment.points_used:
        refund_points_for_cancellation(appointment=appointment, actor=cancelled_by)
    if by_staff and appointment.payment_status == PaymentStatus.PAID:
        refunded = change_payment_status(
            appointment=appointment,
            to_status=PaymentStatus.REFUNDED,
            source="staff",
            actor=cancelled_by,
            reference="cancelled by the doctor or clinic",
        )
        appointment.payment_status = refunded.payment_status


def _revoke_access_without_appointments(*, patient: Patient, doctor) -> None:
    """A doctor keeps seeing a patient only while they have a non-cancelled appointment."""
    still_treating = (
        Appointment.objects.filter(patient=patient, doctor=doctor)
        .exclude(status=AppointmentStatus.CANCELLED)
        .exists()
    )
    if not still_treating:
        revoke_doctor_access_to_patient(doctor_user=doctor.user, patient=patient)


@transaction.atomic
def record_outcome(*, appointment: Appointment, status: str) -> Appointment:
    """The doctor marks a started appointment `completed` or `no_show`."""
    appointment = _lock(appointment)
    if appointment.status != AppointmentStatus.BOOKED:
        raise InvalidTransition()
    now = timezone.now()
    if now < appointment.start:
        raise AppointmentNotStarted()
    appointment.status = status
    appointment.status_changed_at = now
    appointment.save(update_fields=["status", "status_changed_at", "updated_at"])
    if status == AppointmentStatus.COMPLETED:
        award_points_for_completion(appointment=appointment)
    tasks.send_outcome_notice.enqueue(appointment_id=str(appointment.pk))
    outcome_signal = (
        signals.appointment_completed
        if status == AppointmentStatus.COMPLETED
        else signals.appointment_no_show
    )
    outcome_signal.send(sender=Appointment, appointment=appointment)
    return appointment


# --- rescheduling -------------------------------------------------------------------------------


@dataclass
class RescheduleResult:
    appointment: Appointment
    moved: bool  # False: the appointment already was at the target slot (a retry)


@transaction.atomic
def reschedule_appointment(*, appointment: Appointment, slot_id, actor: User) -> RescheduleResult:
    """Move a booked appointment to another free slot in one transaction: the appointment keeps
    its id, payment, points and history; the new slot is booked and the old one freed.

    The patient may do it up to CANCELLATION_CUTOFF_HOURS before the start (as cancelling);
    the clinic's admins until the start, to slots of clinics they administer. Asking for the
    slot the appointment already holds changes nothing (a retried request)."""
    appointment = _lock(appointment)
    if str(appointment.slot_id) == str(slot_id) and appointment.status == AppointmentStatus.BOOKED:
        return RescheduleResult(appointment, moved=False)
    now = timezone.now()
    _check_still_open(appointment, now)
    by_patient = acts_for_patient(actor, appointment.patient)
    by_staff = not by_patient and administers_clinic(actor, appointment.clinic)
    if not by_staff:
        _check_patient_window(appointment, now, verb="rescheduled")
    moved = _move(appointment, slot_id=slot_id, actor=actor, staff_only_own_clinics=by_staff)
    if by_patient:
        note_acting_for(actor=actor, patient=appointment.patient, action="reschedule")
    return RescheduleResult(moved, moved=True)


@transaction.atomic
def propose_reschedule(*, appointment: Appointment, slot_id, proposer: User) -> Appointment:
    """The doctor proposes another of their own free slots, or an admin of the appointment's
    clinic a free slot of any doctor at a clinic they administer; the patient accepts (the move
    runs then, if the slot is still free) or declines. A new proposal replaces a pending one.
    The proposal does not hold the slot."""
    appointment = _lock(appointment)
    now = timezone.now()
    _check_still_open(appointment, now)
    offered = bookable_slots().filter(pk=slot_id)
    if proposer.pk == appointment.doctor.user_id:
        offered = offered.filter(doctor__user=proposer)
    else:
        offered = offered.filter(clinic__in=clinics_administered_by(proposer))
    target = offered.first()
    if target is None:
        raise _unavailable(slot_id, now)
    appointment.proposed_slot = target
    appointment.proposed_at = now
    appointment.save(update_fields=["proposed_slot", "proposed_at", "updated_at"])
    tasks.send_reschedule_proposal.enqueue(appointment_id=str(appointment.pk))
    return appointment


@transaction.atomic
def accept_reschedule_proposal(*, appointment: Appointment, actor: User) -> Appointment:
    """The patient takes the doctor's proposal: the appointment moves. The patient's cutoff
    does not apply, since the doctor asked; a proposed slot taken meanwhile is a 409
    `slot_unavailable` and the proposal stays until the doctor replaces or withdraws it."""
    appointment = _lock(appointment)
    if appointment.proposed_slot_id is None:
        raise NoPendingProposal()
    _check_still_open(appointment, timezone.now())
    return _move(
        appointment,
        slot_id=appointment.proposed_slot_id,
        actor=actor,
        staff_only_own_clinics=False,
    )


@transaction.atomic
def decline_reschedule_proposal(*, appointment: Appointment, actor: User) -> Appointment:
    """The patient declines, or the doctor withdraws, the pending proposal; the appointment
    stays where it is. The doctor hears of a patient's decline."""
    appointment = _lock(appointment)
    if appointment.proposed_slot_id is None:
        raise NoPendingProposal()
    appointment.proposed_slot = None
    appointment.proposed_at = None
    appointment.save(update_fields=["proposed_slot", "proposed_at", "updated_at"])
    if acts_for_patient(actor, appointment.patient):
        tasks.send_reschedule_declined.enqueue(appointment_id=str(appointment.pk))
    return appointment


def _unavailable(slot_id, now) -> ConflictError:
    if Slot.objects.filter(pk=slot_id, start__lte=now).exists():
        return SlotInPast()
    return SlotUnavailable()


def _move(
    appointment: Appointment, *, slot_id, actor: User, staff_only_own_clinics: bool
) -> Appointment:
    """Move a locked, open appointment to the slot `slot_id` (locked here), with the same
    guarantees as booking: the partial unique index on active appointments per slot and the
    patient-overlap exclusion constraint decide (no overlap query first, which could only
    repeat the constraint's check; the appointment's own row moves, so it never overlaps
    itself)."""
    now = timezone.now()
    target = (
        free_slots()
        .select_for_update(of=("self",))
        .select_related("doctor__user", "clinic")
        .filter(pk=slot_id)
        .first()
    )
    if target is None:  # booked, blocked, past or gone: another request may just have won
        raise _unavailable(slot_id, now)
    patient = appointment.patient
    # As booking: someone else's live hold refuses the move; the patient's own hold (a
    # checkout, a waitlist offer) turns into it.
    hold = live_holds().filter(slot=target).first()
    if hold is not None and hold.patient_id != patient.pk:
        raise SlotHeld()
    if target.doctor.user_id == patient.user_id:
        raise SlotUnavailable("You cannot book your own slot.")
    if staff_only_own_clinics and not administers_clinic(actor, target.clinic):
        raise field_error(
            "slot",
            "Clinic admins move appointments only to slots of clinics they administer.",
            code="slot_outside_clinic",
        )
    # A move to another doctor gives that doctor the patient's history: only with the patient's
    # own booking or acceptance (docs/security.md), so the clinic proposes it instead.
    if staff_only_own_clinics and target.doctor_id != appointment.doctor_id:
        raise PatientConsentRequired()
    fees = _fees_after_move(appointment, target)

    previous_slot_id, previous_doctor = appointment.slot_id, appointment.doctor
    previous_start = appointment.start.isoformat()
    appointment.slot = target
    appointment.doctor = target.doctor
    appointment.clinic = target.clinic
    appointment.start, appointment.end = target.start, _end_at(appointment, target)
    if fees is not None:
        appointment.consultation_fee = fees.consultation_fee
        appointment.transaction_fee = fees.transaction_fee
        appointment.total_amount = fees.total_amount
        appointment.currency = fees.currency
    appointment.sequence += 1
    appointment.proposed_slot = None
    appointment.proposed_at = None
    try:
        with transaction.atomic():
            appointment.save(
                update_fields=[
                    "slot",
                    "doctor",
                    "clinic",
                    "start",
                    "end",
                    "consultation_fee",
                    "transaction_fee",
                    "total_amount",
                    "currency",
                    "sequence",
                    "proposed_slot",
                    "proposed_at",
                    "updated_at",
                ]
            )
    except IntegrityError as exc:
        raise _booking_conflict(exc) from exc
    except OperationalError as exc:
        if _lost_overlap_race(exc):
            raise SlotUnavailable() from exc
        raise
    Slot.objects.filter(pk=target.pk).update(status=SlotStatus.BOOKED, updated_at=now)
    if hold is not None:
        end_hold(hold=hold, outcome=HoldOutcome.BOOKED)
    freed = _free_slot(previous_slot_id, now=now)
    if previous_doctor.pk != target.doctor_id:
        grant_doctor_access_to_patient(doctor_user=target.doctor.user, patient=patient)
        _revoke_access_without_appointments(patient=patient, doctor=previous_doctor)

    recipients = [patient.user_id, target.doctor.user_id]
    if previous_doctor.pk != target.doctor_id:
        recipients.append(previous_doctor.user_id)
    for recipient_id in recipients:
        tasks.send_reschedule_notice.enqueue(
            appointment_id=str(appointment.pk),
            recipient_id=str(recipient_id),
            previous_start=previous_start,
        )
    _schedule_reminders(appointment, zone=ZoneInfo(target.clinic.timezone))
    signals.appointment_rescheduled.send(
        sender=Appointment, appointment=appointment, previous_slot_id=previous_slot_id
    )
    if freed is not None:
        slot_signals.slot_freed.send(sender=Slot, slot=freed)
    return appointment


def _end_at(appointment: Appointment, target: Slot):
    """A visit of a type keeps its length in the new slot, which must be long enough."""
    if appointment.visit_type_id is None:
        return target.end
    end = target.start + (appointment.end - appointment.start)
    if end > target.end:
        raise field_error("slot", "The slot is shorter than the visit.", code="visit_type_too_long")
    return end


def _fees_after_move(appointment: Appointment, target: Slot) -> Fees | None:
    """The fee rule of a move (docs/payments.md): with the same doctor the price agreed at
    booking holds (None: unchanged); with another doctor the fees follow the new doctor's
    current consultation fee. A waived appointment stays waived (its points cover the new
    fees too); a paid (or refunded) one may move only within its clinic, which holds the
    payment, and only where the total stays the same."""
    settled = appointment.payment_status in (PaymentStatus.PAID, PaymentStatus.REFUNDED)
    if settled and target.clinic_id != appointment.clinic_id:
        raise PaidClinicChange()
    if target.doctor_id == appointment.doctor_id:
        return None
    fees = fees_for(target.doctor.consultation_fee)
    if settled and (fees.total_amount, fees.currency) != (
        appointment.total_amount,
        appointment.currency,
    ):
        raise PaidFeeMismatch()
    return fees

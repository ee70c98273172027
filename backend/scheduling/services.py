"""Slot writes. Each runs under a lock on the doctor's row, so a doctor's slot changes are
serialized; PostgreSQL's exclusion constraint is the last word on overlaps."""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied

from clinics.models import Clinic, DoctorClinicAssociation
from common.errors import ConflictError, field_error
from common.metrics import SLOT_HOLDS
from common.models import assign_fields
from common.timezones import local_datetime, zone_or_error
from doctors.models import Doctor
from patients.models import Patient

from . import signals
from .models import HoldOutcome, HoldSource, Modality, Slot, SlotHold, SlotStatus, VisitType
from .selectors import free_slots, live_holds

MAX_SLOTS_PER_TEMPLATE = 1000


class SlotBooked(ConflictError):
    default_code = "slot_booked"
    default_detail = "This slot is booked; cancel the appointment instead."


class SlotOverlap(ConflictError):
    default_code = "slot_overlap"
    default_detail = "This slot overlaps another of your slots."


class SlotHeld(ConflictError):
    default_code = "slot_held"
    default_detail = "Someone else is holding this slot; try again when the hold lapses."


class SlotNotBookable(ConflictError):
    default_code = "slot_unavailable"
    default_detail = "This slot is no longer available."


class TooManyHolds(ConflictError):
    default_code = "too_many_holds"


class HoldCooldown(ConflictError):
    default_code = "hold_cooldown"


class DailyHoldLimit(ConflictError):
    default_code = "too_many_holds_today"


class HoldNotFound(NotFound):
    default_code = "hold_not_found"
    default_detail = "You hold no live hold on this slot."


class DoctorNotConfirmed(PermissionDenied):
    default_code = "doctor_not_confirmed"
    default_detail = "A platform admin must confirm your profile before you publish slots."


def _lock_publishing_doctor(doctor: Doctor) -> Doctor:
    doctor = Doctor.objects.select_for_update().select_related("user").get(pk=doctor.pk)
    if not (doctor.is_confirmed and doctor.user.is_active):
        raise DoctorNotConfirmed()
    return doctor


def _check_works_at(doctor: Doctor, clinic: Clinic) -> None:
    works_there = DoctorClinicAssociation.objects.filter(
        doctor=doctor, clinic=clinic, is_active=True, clinic__is_active=True
    ).exists()
    if not works_there:
        raise field_error(
            "clinic", "You have no active association with this clinic.", code="not_associated"
        )


def _check_times(start: datetime, end: datetime) -> None:
    if end <= start:
        raise field_error("end", "The end must be after the start.", code="end_before_start")
    if start <= timezone.now():
        raise field_error("start", "The slot must start in the future.", code="start_in_past")


def _overlapping(doctor: Doctor, start: datetime, end: datetime, exclude_pk=None):
    overlapping = Slot.objects.filter(doctor=doctor, start__lt=end, end__gt=start)
    return overlapping.exclude(pk=exclude_pk) if exclude_pk else overlapping


def _save(slot: Slot, **kwargs) -> Slot:
    try:
        with transaction.atomic():
            slot.save(**kwargs)
    except IntegrityError as exc:  # the exclusion constraint caught a race the check missed
        raise SlotOverlap() from exc
    return slot


@transaction.atomic
def create_slot(*, doctor: Doctor, clinic: Clinic, start: datetime, end: datetime) -> Slot:
    doctor = _lock_publishing_doctor(doctor)
    _check_works_at(doctor, clinic)
    _check_times(start, end)
    if _overlapping(doctor, start, end).exists():
        raise SlotOverlap()
    slot = _save(Slot(doctor=doctor, clinic=clinic, start=start, end=end))
    signals.slot_created.send(sender=Slot, slots=[slot])
    return slot


@dataclass
class TemplateResult:
    created: list[Slot]
    skipped: int


def template_times(
    *,
    zone_name: str,
    weekdays: list[int],
    start_time: time,
    end_time: time,
    slot_minutes: int,
    break_minutes: int,
    date_from: date,
    date_to: date,
) -> list[tuple[datetime, datetime]]:
    """UTC (start, end) pairs for a weekly template, computed in wall-clock time of the zone:
    a 09:00 slot is 09:00 local on both sides of a DST change. Wall times that do not exist
    (the spring-forward gap) are left out."""
    zone = zone_or_error(zone_name)
    step = timedelta(minutes=slot_minutes + break_minutes)
    length = timedelta(minutes=slot_minutes)
    times = []
    day = date_from
    while day <= date_to:
        if day.weekday() in weekdays:
            wall = datetime.combine(day, start_time)
            last = datetime.combine(day, end_time)
            while wall + length <= last:
                start = local_datetime(day, wall.time(), zone)
                end = local_datetime(day, (wall + length).time(), zone)
                if start and end and end > start:
                    times.append((start.astimezone(UTC), end.astimezone(UTC)))
                wall += step
        day += timedelta(days=1)
    return times


@transaction.atomic
def create_slots_from_template(*, doctor: Doctor, clinic: Clinic, **template) -> TemplateResult:
    """Create the template's slots; times that overlap existing slots or are past are skipped."""
    doctor = _lock_publishing_doctor(doctor)
    _check_works_at(doctor, clinic)
    times = template_times(zone_name=clinic.timezone, **template)
    if len(times) > MAX_SLOTS_PER_TEMPLATE:
        raise field_error(
            "date_to",
            f"The template makes {len(times)} slots; at most {MAX_SLOTS_PER_TEMPLATE} at once.",
            code="too_many_slots",
        )
    now = timezone.now()
    taken = (
        list(
            Slot.objects.filter(
                doctor=doctor, start__lt=times[-1][1], end__gt=times[0][0]
            ).values_list("start", "end")
        )
        if times
        else []
    )
    new = [
        Slot(doctor=doctor, clinic=clinic, start=start, end=end)
        for start, end in times
        if start > now and not any(start < t_end and end > t_start for t_start, t_end in taken)
    ]
    try:
        with transaction.atomic():
            created = Slot.objects.bulk_create(new)
    except IntegrityError as exc:
        raise SlotOverlap() from exc
    if created:
        signals.slot_created.send(sender=Slot, slots=created)
    return TemplateResult(created=created, skipped=len(times) - len(created))


def _lock_editable(slot: Slot) -> Slot:
    _lock_publishing_doctor(slot.doctor)
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.status == SlotStatus.BOOKED:
        raise SlotBooked()
    return slot


@transaction.atomic
def update_slot_times(
    *, slot: Slot, start: datetime | None = None, end: datetime | None = None
) -> Slot:
    slot = _lock_editable(slot)
    slot.start = start or slot.start
    slot.end = end or slot.end
    _check_times(slot.start, slot.end)
    if _overlapping(slot.doctor, slot.start, slot.end, exclude_pk=slot.pk).exists():
        raise SlotOverlap()
    return _save(slot, update_fields=["start", "end", "updated_at"])


@transaction.atomic
def set_slot_blocked(*, slot: Slot, blocked: bool) -> Slot:
    """Block a free slot (not bookable) or make a blocked slot available again."""
    slot = _lock_editable(slot)
    slot.status = SlotStatus.BLOCKED if blocked else SlotStatus.AVAILABLE
    slot.save(update_fields=["status", "updated_at"])
    return slot


@transaction.atomic
def delete_slot(*, slot: Slot) -> None:
    """Remove a slot that is not booked; past cancelled appointments keep their own copy of
    the times."""
    slot = _lock_editable(slot)
    # Sent before the row goes, so receivers still read its doctor, clinic and times.
    signals.slot_removed.send(sender=Slot, slot_ids=[slot.pk], slots=[slot])
    slot.delete()


@dataclass
class HoldResult:
    hold: SlotHold
    created: bool


@transaction.atomic
def hold_slot(
    *,
    patient: Patient,
    slot_id,
    source: str = HoldSource.PATIENT,
    minutes: int | None = None,
) -> HoldResult:
    """Hold a free slot for the patient for `minutes` (SLOT_HOLD_MINUTES by default).

    The slot's row lock serializes holds and bookings of one slot (the booking service takes
    the same lock), so the check for a live hold cannot race; the exclusion constraint
    `slot_hold_one_live_per_slot` is the database's last word. Holding a slot one already
    holds returns that hold unchanged (it is not extended)."""
    # The patient's row lock serializes one patient's holds, so the limit cannot be raced.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    slot = (
        free_slots()
        .select_for_update(of=("self",))
        .select_related("doctor")
        .filter(pk=slot_id)
        .first()
    )
    if slot is None:  # booked, blocked, past or gone
        raise SlotNotBookable()
    now = timezone.now()
    current = live_holds(now).filter(slot=slot).first()
    if current is not None:
        if current.patient_id == patient.pk:
            return HoldResult(current, created=False)
        raise SlotHeld()
    if slot.doctor.user_id == patient.user_id:
        raise SlotNotBookable("You cannot hold your own slot.")
    if source == HoldSource.PATIENT:
        _check_hold_limits(patient, slot, now)
    expires_at = now + timedelta(minutes=minutes or settings.SLOT_HOLD_MINUTES)
    hold = SlotHold(
        slot=slot,
        patient=patient,
        source=source,
        held_at=now,
        expires_at=expires_at,
        ends_at=expires_at,
    )
    try:
        with transaction.atomic():
            hold.save()
    except IntegrityError as exc:  # the exclusion constraint caught what the lock should have
        raise SlotHeld() from exc
    if source == HoldSource.PATIENT:
        transaction.on_commit(SLOT_HOLDS.labels("created").inc)
    return HoldResult(hold, created=True)


def _check_hold_limits(patient: Patient, slot: Slot, now: datetime) -> None:
    """A patient's own holds: a few live at once, a cool-off before holding a slot again
    (else a hold renewed as it lapses keeps the slot from everyone), a cap per 24 hours. The
    patient's row lock, taken by the caller, keeps these counts from racing."""
    active = live_holds(now).filter(patient=patient, source=HoldSource.PATIENT).count()
    if active >= settings.MAX_ACTIVE_HOLDS_PER_PATIENT:
        SLOT_HOLDS.labels("live_limit").inc()
        raise TooManyHolds(
            f"You already hold {active} slots, the most allowed at once; book or release one."
        )
    cooldown = timedelta(minutes=settings.SLOT_HOLD_COOLDOWN_MINUTES)
    last = (
        SlotHold.objects.filter(slot=slot, patient=patient, ends_at__gt=now - cooldown)
        .exclude(outcome=HoldOutcome.BOOKED)
        .order_by("-ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )
    if last is not None:
        SLOT_HOLDS.labels("cooldown").inc()
        wait = math.ceil((last + cooldown - now).total_seconds() / 60)
        raise HoldCooldown(
            f"You held this slot a moment ago; others get a turn. Book it now, or hold it "
            f"again in {wait} minutes."
        )
    day = now - timedelta(days=1)
    placed = SlotHold.objects.filter(
        patient=patient, source=HoldSource.PATIENT, ends_at__gt=day, held_at__gt=day
    ).count()
    if placed >= settings.MAX_HOLDS_PER_PATIENT_PER_DAY:
        SLOT_HOLDS.labels("daily_limit").inc()
        raise DailyHoldLimit(
            f"You placed {placed} holds in the last 24 hours, the most allowed; book a slot "
            "directly instead."
        )


def end_hold(*, hold: SlotHold, outcome: str) -> SlotHold:
    """End a live hold now (`booked` by its holder, or `released`); the caller holds the lock
    on the hold's slot or the hold, inside its transaction."""
    now = timezone.now()
    hold.ends_at = max(now, hold.held_at)
    hold.outcome = outcome
    hold.save(update_fields=["ends_at", "outcome", "updated_at"])
    return hold


@transaction.atomic
def release_hold(*, patient: Patient, slot_id) -> SlotHold:
    """The holder gives the slot back before the hold expires; others may book it at once."""
    hold = (
        live_holds()
        .select_for_update()
        .filter(slot_id=slot_id, patient=patient)
        .select_related("slot")
        .first()
    )
    if hold is None:
        raise HoldNotFound()
    end_hold(hold=hold, outcome=HoldOutcome.RELEASED)
    signals.hold_released.send(sender=SlotHold, hold=hold)
    return hold


# --- visit types (docs/scheduling.md, "Visit types") --------------------------------------------

VISIT_TYPE_FIELDS = (
    "name",
    "reason_code",
    "duration_minutes",
    "price",
    "modality",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "horizon_days",
    "new_patients_allowed",
    "phone_number",
)


def _check_phone(modality: str, phone_number: str) -> None:
    if modality == Modality.PHONE and not phone_number:
        raise field_error(
            "phone_number", "A phone visit needs the number the patient calls.", code="required"
        )


@transaction.atomic
def create_visit_type(*, actor, clinic: Clinic | None, values: dict) -> VisitType:
    """A clinic's type (for all its doctors) by one of its admins, or the calling doctor's own.
    The view has checked who may; the doctor publishing their own must be confirmed."""
    _check_phone(values.get("modality", ""), values.get("phone_number", ""))
    if clinic is not None:
        return VisitType.objects.create(clinic=clinic, **values)
    doctor = _lock_publishing_doctor(Doctor.objects.get(user=actor))
    return VisitType.objects.create(doctor=doctor, **values)


@transaction.atomic
def update_visit_type(*, visit_type: VisitType, values: dict) -> VisitType:
    """Later bookings follow the change; appointments already made keep what they copied."""
    visit_type = VisitType.objects.select_for_update().get(pk=visit_type.pk)
    changed = assign_fields(visit_type, values, VISIT_TYPE_FIELDS)
    _check_phone(visit_type.modality, visit_type.phone_number)
    visit_type.save(update_fields=[*changed, "updated_at"])
    return visit_type


@transaction.atomic
def retire_visit_type(*, visit_type: VisitType) -> None:
    """Retired, never deleted: appointments made with it still name it."""
    VisitType.objects.filter(pk=visit_type.pk).update(is_active=False, updated_at=timezone.now())

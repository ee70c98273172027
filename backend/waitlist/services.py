"""Waitlist writes: joining and leaving, offering a freed slot to the earliest matching waiting
patient (a slot hold in their name), passing a lapsed offer on, and dropping patients who
booked with the doctor.

Offers are made by tasks (`offer_slots`, `pass_on_expired_offer`), never in the request that
freed the slot. Each offer decision for a doctor runs under a lock on the doctor's row, so two
offer tasks (two slots freed at once, or a task run twice) take turns: nobody is skipped,
nobody gets two offers at once, and the constraints on WaitlistOffer back that up.

Those two tasks are declared here, not in tasks.py: an offer enqueues the task that passes it
on, which makes the next offer, so in tasks.py they would import this module and this module
them (a cycle the sibling contract in pyproject.toml forbids). tasks.py holds the mail."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks import task

from appointments.models import Appointment, AppointmentStatus
from clinics.models import Clinic
from common.errors import ConflictError, DomainError
from doctors.models import Doctor
from patients.models import Patient
from patients.signals import note_acting_for
from scheduling.models import HoldOutcome, HoldSource, Slot
from scheduling.selectors import bookable_slots, live_holds
from scheduling.services import end_hold, hold_slot

from . import tasks
from .models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer


class AlreadyWaiting(ConflictError):
    default_code = "already_waiting"
    default_detail = "You are already on this doctor's waitlist."


class TooManyWaitlistEntries(ConflictError):
    default_code = "too_many_waitlist_entries"


class NotWaiting(ConflictError):
    default_code = "not_waiting"
    default_detail = "This waitlist entry is no longer waiting."


@transaction.atomic
def join_waitlist(
    *,
    patient: Patient,
    doctor: Doctor,
    clinic: Clinic | None = None,
    date_from=None,
    date_to=None,
    time_from=None,
    time_to=None,
    actor=None,
) -> WaitlistEntry:
    """Queue the patient for the doctor's next matching free slot (at the back of the line).
    `actor`: who asked, when someone acts for the patient (docs/families.md)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)  # serializes the limit
    waiting = WaitlistEntry.objects.filter(patient=patient, status=EntryStatus.WAITING)
    if waiting.filter(doctor=doctor).exists():
        raise AlreadyWaiting()
    if waiting.count() >= settings.MAX_WAITLIST_ENTRIES_PER_PATIENT:
        raise TooManyWaitlistEntries(
            f"You are on {settings.MAX_WAITLIST_ENTRIES_PER_PATIENT} waitlists, the most "
            "allowed at once; leave one first."
        )
    entry = WaitlistEntry(
        patient=patient,
        doctor=doctor,
        clinic=clinic,
        date_from=date_from,
        date_to=date_to,
        time_from=time_from,
        time_to=time_to,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise AlreadyWaiting() from exc
    note_acting_for(actor=actor, patient=patient, action="join_waitlist")
    return entry


def _withdraw_open_offer(entry: WaitlistEntry, *, booked_slot_id=None) -> None:
    """Close the entry's open offer: `booked` if the patient booked the offered slot (the booking
    already ended the hold), otherwise `withdrawn`, its hold released and the slot passed on."""
    offer = (
        WaitlistOffer.objects.select_for_update()
        .select_related("hold")
        .filter(entry=entry, status=OfferStatus.OPEN)
        .first()
    )
    if offer is None:
        return
    now = timezone.now()
    if booked_slot_id is not None and offer.slot_id == booked_slot_id:
        offer.status = OfferStatus.BOOKED
    else:
        offer.status = OfferStatus.WITHDRAWN
        if offer.hold.ends_at > now:
            end_hold(hold=offer.hold, outcome=HoldOutcome.RELEASED)
        offer_slots.enqueue(slot_ids=[str(offer.slot_id)])
    offer.closed_at = now
    offer.save(update_fields=["status", "closed_at", "updated_at"])


@transaction.atomic
def leave_waitlist(*, entry: WaitlistEntry) -> WaitlistEntry:
    """The patient leaves the queue; a slot on offer to them goes to the next patient."""
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != EntryStatus.WAITING:
        raise NotWaiting()
    entry.status = EntryStatus.LEFT
    entry.ended_at = timezone.now()
    entry.save(update_fields=["status", "ended_at", "updated_at"])
    _withdraw_open_offer(entry)
    return entry


def drop_patient_who_booked(*, appointment: Appointment) -> int:
    """A patient who books (or moves to) any slot of the doctor leaves that doctor's waitlist.
    Runs in the booking's transaction (a signal receiver); returns how many entries ended."""
    entries = WaitlistEntry.objects.select_for_update().filter(
        patient_id=appointment.patient_id,
        doctor_id=appointment.doctor_id,
        status=EntryStatus.WAITING,
    )
    dropped = 0
    for entry in entries:
        entry.status = EntryStatus.BOOKED
        entry.ended_at = timezone.now()
        entry.save(update_fields=["status", "ended_at", "updated_at"])
        _withdraw_open_offer(entry, booked_slot_id=appointment.slot_id)
        dropped += 1
    return dropped


def entry_matches(entry: WaitlistEntry, slot: Slot) -> bool:
    """The entry's clinic, dates and times of day against the slot, in the clinic's zone."""
    if entry.clinic_id is not None and entry.clinic_id != slot.clinic_id:
        return False
    zone = ZoneInfo(slot.clinic.timezone)
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    if entry.date_from is not None and start.date() < entry.date_from:
        return False
    if entry.date_to is not None and start.date() > entry.date_to:
        return False
    if entry.time_from is not None and start.time() < entry.time_from:
        return False
    # A slot ending at midnight or later that day fits no time_to (time_to is before midnight).
    ends_same_day = end.date() == start.date()
    return entry.time_to is None or (ends_same_day and end.time() <= entry.time_to)


def _candidates(slot: Slot):
    """Waiting entries of the slot's doctor that may be offered it, first come first served:
    not offered this slot before, no open offer elsewhere, no booked appointment overlapping it,
    not the doctor themselves. Dates and times of day are checked by `entry_matches`."""
    open_offer = WaitlistOffer.objects.filter(entry=OuterRef("pk"), status=OfferStatus.OPEN)
    offered_before = WaitlistOffer.objects.filter(entry=OuterRef("pk"), slot=slot)
    busy = Appointment.objects.filter(
        patient=OuterRef("patient"),
        status=AppointmentStatus.BOOKED,
        start__lt=slot.end,
        end__gt=slot.start,
    )
    return (
        WaitlistEntry.objects.filter(doctor_id=slot.doctor_id, status=EntryStatus.WAITING)
        .filter(Q(clinic__isnull=True) | Q(clinic_id=slot.clinic_id))
        .exclude(patient__user_id=slot.doctor.user_id)
        .filter(~Exists(open_offer), ~Exists(offered_before), ~Exists(busy))
        .order_by("created_at", "id")
    )


def _close_lapsed_offers(slot: Slot, now: datetime) -> None:
    """Open offers of a slot nobody holds any more: their hold expired or was released."""
    WaitlistOffer.objects.filter(slot=slot, status=OfferStatus.OPEN).update(
        status=OfferStatus.LAPSED, closed_at=now, updated_at=now
    )


def _lock_doctor(doctor_id) -> None:
    """One offer decision per doctor at a time (see the module docstring). Taken first, before
    any offer, entry, patient or slot row."""
    Doctor.objects.select_for_update().filter(pk=doctor_id).first()


@transaction.atomic
def offer_slot(*, slot_id) -> WaitlistOffer | None:
    """Offer a free slot to the earliest matching waiting patient: hold it for them for
    WAITLIST_OFFER_MINUTES, email them, and schedule `pass_on_expired_offer` at the expiry. Does
    nothing if the slot is not bookable (booked, held, past, gone) or nobody matches; safe to
    run any number of times."""
    doctor_id = Slot.objects.filter(pk=slot_id).values_list("doctor_id", flat=True).first()
    if doctor_id is None:
        return None
    _lock_doctor(doctor_id)
    slot = bookable_slots().select_related("doctor", "clinic").filter(pk=slot_id).first()
    if slot is None:  # booked, held by someone (an offer still live included), past or gone
        return None
    now = timezone.now()
    _close_lapsed_offers(slot, now)
    for candidate in _candidates(slot).iterator():
        if not entry_matches(candidate, slot):
            continue
        # The patient's lock first, as the booking service takes it: a booking of this patient
        # (which drops their entries) and this offer take turns instead of deadlocking.
        Patient.objects.select_for_update().filter(pk=candidate.patient_id).first()
        entry = (
            WaitlistEntry.objects.select_for_update()
            .filter(pk=candidate.pk, status=EntryStatus.WAITING)
            .first()
        )
        if entry is None:  # left or booked since the candidates were read
            continue
        try:
            with transaction.atomic():
                hold = hold_slot(
                    patient=entry.patient,
                    slot_id=slot.pk,
                    source=HoldSource.WAITLIST,
                    minutes=settings.WAITLIST_OFFER_MINUTES,
                ).hold
                offer = WaitlistOffer.objects.create(
                    entry=entry, slot=slot, hold=hold, expires_at=hold.expires_at
                )
        except (DomainError, IntegrityError):  # someone held or booked the slot meanwhile
            return None
        tasks.send_waitlist_offer.enqueue(offer_id=str(offer.pk))
        pass_on_expired_offer.using(run_after=offer.expires_at).enqueue(offer_id=str(offer.pk))
        return offer
    return None


@transaction.atomic
def pass_on_offer(*, offer_id) -> WaitlistOffer | None:
    """At an offer's expiry: if it is still open and its hold has ended (it expired or was
    released), close it as lapsed and offer the slot to the next patient. The hold's expiry
    alone already made the slot bookable again; this only moves the queue along."""
    doctor_id = (
        WaitlistOffer.objects.filter(pk=offer_id).values_list("slot__doctor_id", flat=True).first()
    )
    if doctor_id is None:
        return None
    _lock_doctor(doctor_id)
    offer = WaitlistOffer.objects.select_related("hold").get(pk=offer_id)
    if offer.status != OfferStatus.OPEN:
        return None
    if live_holds().filter(pk=offer.hold_id).exists():  # ran early: come back at the expiry
        pass_on_expired_offer.using(run_after=offer.hold.ends_at).enqueue(offer_id=str(offer.pk))
        return None
    now = timezone.now()
    offer.status, offer.closed_at = OfferStatus.LAPSED, now
    offer.save(update_fields=["status", "closed_at", "updated_at"])
    return offer_slot(slot_id=offer.slot_id)


@task
def offer_slots(slot_ids: list[str]) -> int:
    """Offer each slot to its doctor's waitlist (one transaction per slot); how many offers."""
    return sum(1 for slot_id in slot_ids if offer_slot(slot_id=slot_id) is not None)


@task
def pass_on_expired_offer(offer_id: str) -> bool:
    return pass_on_offer(offer_id=offer_id) is not None


def doctor_has_waiting_patients(doctor_id) -> bool:
    return WaitlistEntry.objects.filter(doctor_id=doctor_id, status=EntryStatus.WAITING).exists()

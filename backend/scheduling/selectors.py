"""Reads of slots: the doctor's own schedule and the patients' search."""

from datetime import timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from clinics.models import DoctorClinicAssociation
from clinics.permissions import clinics_administered_by
from common.constraints import MinutesLater
from integrations.principal import is_integration_client

from .models import Slot, SlotHold, SlotStatus, VisitType


def slots_managed_by(user) -> QuerySet[Slot]:
    """A doctor's own slots, a clinic admin's clinics' slots, every slot for platform admins."""
    slots = Slot.objects.select_related("doctor__user", "doctor__specialty", "clinic")
    if not user.is_authenticated:
        return slots.none()
    if is_platform_admin(user):
        return slots
    return slots.filter(managed_by(user))


def managed_by(user) -> Q:
    """The condition on the slots a doctor, clinic admin or integration client manages (see
    `slots_managed_by`; platform admins manage every slot, which no condition expresses)."""
    if is_integration_client(user):
        return Q(clinic_id=user.clinic_id)
    visible = Q(pk__in=[])
    if has_role(user, Role.DOCTOR):
        visible |= Q(doctor__user=user)
    if has_role(user, Role.CLINIC_ADMIN):
        visible |= Q(clinic__in=clinics_administered_by(user))
    return visible


def free_slots() -> QuerySet[Slot]:
    """Future available slots of confirmed, active doctors at active clinics they still work at,
    held or not (the booking and hold services lock one of these, then look at its hold)."""
    return Slot.objects.filter(listed(), status=SlotStatus.AVAILABLE)


def listed() -> Q:
    """Future slots, of any status, of confirmed, active doctors at active clinics they still
    work at: what the public free/busy view shows."""
    still_works_there = DoctorClinicAssociation.objects.filter(
        doctor=OuterRef("doctor"), clinic=OuterRef("clinic"), is_active=True
    )
    return Q(
        Exists(still_works_there),
        start__gt=timezone.now(),
        doctor__is_confirmed=True,
        doctor__user__is_active=True,
        clinic__is_active=True,
    )


def live_holds(now=None) -> QuerySet[SlotHold]:
    """Holds that have not ended: expiry is a comparison with the time, no worker involved."""
    return SlotHold.objects.filter(ends_at__gt=now or timezone.now())


def bookable_slots(*, holder=None) -> QuerySet[Slot]:
    """Free slots nobody holds; with `holder` (a user), also the slots that user holds.

    Every availability read (slot search, the directory's next_available) goes through here,
    so a hold hides a slot from everyone else for exactly as long as it is live."""
    return Slot.objects.filter(bookable(holder=holder))


def bookable(*, holder=None) -> Q:
    """The condition of `bookable_slots`, to combine with others."""
    held = live_holds().filter(slot=OuterRef("pk"))
    if holder is not None and holder.is_authenticated:
        held = held.exclude(patient__user=holder)
    return listed() & Q(status=SlotStatus.AVAILABLE) & ~Q(Exists(held))


def published_slots() -> QuerySet[Slot]:
    """The public free/busy view (SMART Scheduling Links): listed slots, available or booked,
    with `held`: whether a live hold keeps an available one from everyone else."""
    return (
        Slot.objects.filter(listed(), status__in=[SlotStatus.AVAILABLE, SlotStatus.BOOKED])
        .annotate(held=Exists(live_holds().filter(slot=OuterRef("pk"))))
        .select_related("doctor__specialty")
    )


def available_slots_for_search(*, viewer=None) -> QuerySet[Slot]:
    return bookable_slots(holder=viewer).select_related(
        "doctor__user", "doctor__specialty", "clinic"
    )


def live_holds_of(user) -> QuerySet[SlotHold]:
    """The caller's live holds, soonest expiry first, with their slots for display."""
    return (
        live_holds()
        .filter(patient__user=user)
        .select_related("slot__doctor__user", "slot__doctor__specialty", "slot__clinic")
        .order_by("ends_at", "id")
    )


def visit_types_visible_to(user) -> QuerySet[VisitType]:
    """Active types of confirmed, active doctors and of active clinics, for everyone; a
    doctor's own and a clinic admin's clinics' active types whatever the doctor's or clinic's
    state. A retired type is gone from the API (its appointments still name it)."""
    offered = Q(doctor__is_confirmed=True, doctor__user__is_active=True) | Q(clinic__is_active=True)
    if user.is_authenticated:
        offered |= Q(doctor__user=user)
        if has_role(user, Role.CLINIC_ADMIN):
            offered |= Q(clinic__in=clinics_administered_by(user))
    return VisitType.objects.filter(offered, is_active=True).select_related(
        "doctor__user", "clinic"
    )


def visit_types_at(*, doctor_id, clinic_id) -> QuerySet[VisitType]:
    """The active types a doctor offers at a clinic: their own and the clinic's."""
    return VisitType.objects.filter(Q(doctor_id=doctor_id) | Q(clinic_id=clinic_id), is_active=True)


def offers_a_fitting_type(
    *, visit_type: VisitType | None = None, modality: str = "", new_patients: bool | None = None
) -> Q:
    """Slots (this query's rows) whose doctor offers, at the slot's clinic, an active type that
    fits in the slot: `visit_type` itself, or any of `modality` / open to new patients. With
    `visit_type`, also its notice, horizon and buffers: a slot whose visit with buffers would
    overlap a booked appointment of the doctor (with its buffers) is left out, as booking it
    would be refused (the exclusion constraint of docs/scheduling.md)."""
    types = visit_types_at(doctor_id=OuterRef("doctor_id"), clinic_id=OuterRef("clinic_id"))
    types = types.alias(visit_end=MinutesLater(OuterRef("start"), "duration_minutes")).filter(
        visit_end__lte=OuterRef("end")
    )
    if modality:
        types = types.filter(modality=modality)
    if new_patients is not None:
        types = types.filter(new_patients_allowed=new_patients)
    if visit_type is None:
        return Q(Exists(types))
    now = timezone.now()
    before = timedelta(minutes=visit_type.buffer_before_minutes)
    after = timedelta(minutes=visit_type.duration_minutes + visit_type.buffer_after_minutes)
    # Booked appointments of the doctor, read through their slots (this layer does not know
    # appointments by name; every booking has its slot).
    busy = Slot.objects.alias(
        busy_from=MinutesLater("appointments__start", -F("appointments__buffer_before_minutes")),
        busy_until=MinutesLater("appointments__end", "appointments__buffer_after_minutes"),
    ).filter(
        doctor_id=OuterRef("doctor_id"),
        appointments__status="booked",
        busy_from__lt=OuterRef("start") + after,
        busy_until__gt=OuterRef("start") - before,
    )
    return Q(
        Exists(types.filter(pk=visit_type.pk)),
        ~Exists(busy),
        start__gte=now + timedelta(minutes=visit_type.min_notice_minutes),
        start__lte=now + timedelta(days=visit_type.horizon_days),
    )

"""Reads of slots: the doctor's own schedule and the patients' search."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from clinics.models import DoctorClinicAssociation
from clinics.permissions import clinics_administered_by
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
    """Active types of confirmed, active doctors and of active clinics, for everyone; the
    types a caller manages (their own, their clinics'), retired ones too."""
    offered = Q(is_active=True) & (
        Q(doctor__is_confirmed=True, doctor__user__is_active=True) | Q(clinic__is_active=True)
    )
    if user.is_authenticated:
        offered |= Q(doctor__user=user)
        if has_role(user, Role.CLINIC_ADMIN):
            offered |= Q(clinic__in=clinics_administered_by(user))
    return VisitType.objects.filter(offered).select_related("doctor__user", "clinic")


def visit_types_at(*, doctor_id, clinic_id) -> QuerySet[VisitType]:
    """The active types a doctor offers at a clinic: their own and the clinic's."""
    return VisitType.objects.filter(Q(doctor_id=doctor_id) | Q(clinic_id=clinic_id), is_active=True)

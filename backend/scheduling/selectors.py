"""Reads of slots: the doctor's own schedule and the patients' search."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from clinics.models import DoctorClinicAssociation
from clinics.permissions import clinics_administered_by

from .models import Slot, SlotHold, SlotStatus


def slots_managed_by(user) -> QuerySet[Slot]:
    """A doctor's own slots, a clinic admin's clinics' slots, every slot for platform admins."""
    slots = Slot.objects.select_related("doctor__user", "doctor__specialty", "clinic")
    if not user.is_authenticated:
        return slots.none()
    if is_platform_admin(user):
        return slots
    visible = Q(pk__in=[])
    if has_role(user, Role.DOCTOR):
        visible |= Q(doctor__user=user)
    if has_role(user, Role.CLINIC_ADMIN):
        visible |= Q(clinic__in=clinics_administered_by(user))
    return slots.filter(visible)


def free_slots() -> QuerySet[Slot]:
    """Future available slots of confirmed, active doctors at active clinics they still work at,
    held or not (the booking and hold services lock one of these, then look at its hold)."""
    still_works_there = DoctorClinicAssociation.objects.filter(
        doctor=OuterRef("doctor"), clinic=OuterRef("clinic"), is_active=True
    )
    return Slot.objects.filter(
        Exists(still_works_there),
        status=SlotStatus.AVAILABLE,
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
    held = live_holds().filter(slot=OuterRef("pk"))
    if holder is not None and holder.is_authenticated:
        held = held.exclude(patient__user=holder)
    return free_slots().filter(~Exists(held))


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

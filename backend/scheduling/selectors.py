"""Reads of slots: the doctor's own schedule and the patients' search."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from clinics.models import DoctorClinicAssociation
from clinics.permissions import clinics_administered_by

from .models import Slot, SlotStatus


def slots_managed_by(user) -> QuerySet[Slot]:
    """A doctor's own slots, a clinic admin's clinics' slots, every slot for platform admins."""
    slots = Slot.objects.select_related("doctor__user", "doctor__specialty", "clinic")
    if not user.is_authenticated:
        return slots.none()
    return slots.filter(managed_by(user))


def managed_by(user) -> Q:
    """The condition on slots that `user` manages (see `slots_managed_by`)."""
    if is_platform_admin(user):
        return Q()
    visible = Q(pk__in=[])
    if has_role(user, Role.DOCTOR):
        visible |= Q(doctor__user=user)
    if has_role(user, Role.CLINIC_ADMIN):
        visible |= Q(clinic__in=clinics_administered_by(user))
    return visible


def bookable_slots() -> QuerySet[Slot]:
    """Future available slots of confirmed, active doctors at active clinics they still work at."""
    return Slot.objects.filter(bookable())


def bookable() -> Q:
    """The condition of `bookable_slots`, to combine with others."""
    return listed() & Q(status=SlotStatus.AVAILABLE)


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


def published_slots() -> QuerySet[Slot]:
    """The public free/busy view (SMART Scheduling Links): listed slots, free or booked."""
    return Slot.objects.filter(
        listed(), status__in=[SlotStatus.AVAILABLE, SlotStatus.BOOKED]
    ).select_related("doctor__specialty")


def available_slots_for_search() -> QuerySet[Slot]:
    return bookable_slots().select_related("doctor__user", "doctor__specialty", "clinic")

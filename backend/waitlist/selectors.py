"""Reads of the waitlist: a patient's own entries (with their place in the queue and any slot
on offer), and the length of each doctor's queue for the doctor and the clinics' admins."""

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from clinics.permissions import clinics_administered_by
from doctors.models import Doctor
from patients.permissions import patients_acted_for_by

from .models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer


def _ahead_of(entry_ref: str = "pk") -> QuerySet:
    """Waiting entries of the same doctor that joined before the outer entry."""
    return WaitlistEntry.objects.filter(
        Q(created_at__lt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id")),
        doctor=OuterRef("doctor"),
        status=EntryStatus.WAITING,
    )


def entries_of(user) -> QuerySet[WaitlistEntry]:
    """The patient's own entries and their dependents', newest first, each with `position`
    (1 = next in line; only for waiting entries) and `open_offers` (the live offer, if a
    slot is held for them)."""
    if not user.is_authenticated:
        return WaitlistEntry.objects.none()
    ahead = _ahead_of().order_by().values("doctor").annotate(n=Count("id")).values("n")
    live_offers = WaitlistOffer.objects.filter(
        status=OfferStatus.OPEN, hold__ends_at__gt=timezone.now()
    ).select_related("slot__doctor__user", "slot__doctor__specialty", "slot__clinic")
    return (
        WaitlistEntry.objects.filter(patient__in=patients_acted_for_by(user).values("pk"))
        .select_related("doctor__user", "clinic")
        .annotate(ahead=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)))
        .prefetch_related(Prefetch("offers", queryset=live_offers, to_attr="open_offers"))
    )


def waitlist_lengths_visible_to(user) -> QuerySet[Doctor]:
    """Doctors with `waiting` (their queue's length): a doctor's own, a clinic admin's
    clinics' doctors (active associations), every doctor for platform admins."""
    doctors = Doctor.objects.select_related("user").annotate(
        waiting=Count("waitlist_entries", filter=Q(waitlist_entries__status=EntryStatus.WAITING))
    )
    if not user.is_authenticated:
        return doctors.none()
    if is_platform_admin(user):
        return doctors
    visible = Q(pk__in=[])
    if has_role(user, Role.DOCTOR):
        visible |= Q(user=user)
    if has_role(user, Role.CLINIC_ADMIN):
        clinics = clinics_administered_by(user)
        visible |= Q(
            pk__in=Doctor.objects.filter(
                associations__clinic__in=clinics, associations__is_active=True
            ).values("pk")
        )
    return doctors.filter(visible)

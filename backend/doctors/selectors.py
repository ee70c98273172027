"""Reads of the doctor directory, scoped to the caller."""

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

from clinics.models import DoctorClinicAssociation
from clinics.selectors import active_associations_prefetch
from common.permissions import is_platform_admin
from scheduling.selectors import bookable_slots

from .models import Doctor, Specialty


def listed_doctors() -> QuerySet[Doctor]:
    """Doctors the public directory shows: confirmed and with an active account."""
    return Doctor.objects.filter(is_confirmed=True, user__is_active=True)


def with_next_available(doctors: QuerySet[Doctor]) -> QuerySet[Doctor]:
    """Annotate `next_available`: the doctor's first bookable slot as
    `{"slot_id", "start", "clinic_id"}` (None without one).

    Per doctor of the page, the subquery takes each of their active associations (one or two)
    and finds the first bookable slot there with an index seek on slot_doctor_status_start_idx
    (doctor and clinic are fixed, so the planner walks the index in start order and stops at
    the first row). A page stays one query plus the existing prefetches. (Asking for the
    doctor's first slot across all clinics at once lets the planner join the associations
    first and sort every future slot of the doctor, some 30 times slower.)"""
    slots_there = (
        bookable_slots()
        .filter(doctor=OuterRef("doctor_id"), clinic=OuterRef("clinic_id"))
        .order_by("start")  # a doctor's slots never overlap: start alone is a total order
    )
    first_slot = slots_there.values(
        json=JSONObject(slot_id=F("id"), start=F("start"), clinic_id=F("clinic_id"))
    )[:1]
    per_clinic = (
        DoctorClinicAssociation.objects.filter(doctor=OuterRef("pk"), is_active=True)
        .annotate(first_start=Subquery(slots_there.values("start")[:1]))
        .order_by(F("first_start").asc(nulls_last=True))
        .values(json=Subquery(first_slot))[:1]
    )
    return doctors.annotate(next_available=Subquery(per_clinic))


def doctors_visible_to(user) -> QuerySet[Doctor]:
    """The directory, plus a doctor's own profile; platform admins see every doctor. Each
    doctor carries `next_available` (see `with_next_available`)."""
    doctors = Doctor.objects.select_related("user", "specialty").prefetch_related(
        "languages", active_associations_prefetch()
    )
    doctors = with_next_available(doctors)
    if not user.is_authenticated:
        return doctors.none()
    if is_platform_admin(user):
        return doctors
    return doctors.filter(Q(is_confirmed=True, user__is_active=True) | Q(user=user))


def all_specialties() -> QuerySet[Specialty]:
    return Specialty.objects.all()

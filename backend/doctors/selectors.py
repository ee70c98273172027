"""Reads of the doctor directory, scoped to the caller."""

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

from clinics.selectors import active_associations_prefetch
from common.permissions import is_platform_admin
from scheduling.selectors import bookable_slots

from .models import Doctor, Specialty


def listed_doctors() -> QuerySet[Doctor]:
    """Doctors the public directory shows: confirmed and with an active account."""
    return Doctor.objects.filter(is_confirmed=True, user__is_active=True)


def with_next_available(doctors: QuerySet[Doctor]) -> QuerySet[Doctor]:
    """Annotate `next_available`: the doctor's first bookable slot as
    `{"slot_id", "start", "clinic_id"}` (None without one). One correlated subquery, an index
    seek on slot_doctor_status_start_idx per doctor of the page, so a page stays one query."""
    first_slot = (
        bookable_slots()
        .filter(doctor=OuterRef("pk"))
        .order_by("start", "id")
        .values(json=JSONObject(slot_id=F("id"), start=F("start"), clinic_id=F("clinic_id")))[:1]
    )
    return doctors.annotate(next_available=Subquery(first_slot))


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

"""Reads of the doctor directory, scoped to the caller."""

from django.db.models import Q, QuerySet

from clinics.selectors import active_associations_prefetch
from common.permissions import is_platform_admin

from .models import Doctor, Specialty


def listed_doctors() -> QuerySet[Doctor]:
    """Doctors the public directory shows: confirmed and with an active account."""
    return Doctor.objects.filter(is_confirmed=True, user__is_active=True)


def doctors_visible_to(user) -> QuerySet[Doctor]:
    """The directory, plus a doctor's own profile; platform admins see every doctor."""
    doctors = Doctor.objects.select_related("user", "specialty").prefetch_related(
        "languages", active_associations_prefetch()
    )
    if not user.is_authenticated:
        return doctors.none()
    if is_platform_admin(user):
        return doctors
    return doctors.filter(Q(is_confirmed=True, user__is_active=True) | Q(user=user))


def all_specialties() -> QuerySet[Specialty]:
    return Specialty.objects.all()

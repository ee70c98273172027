"""Reads of clinics and associations, always scoped to the caller (docs/rules.md)."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin

from .models import Clinic, DoctorClinicAssociation
from .permissions import clinics_administered_by


def clinics_visible_to(user) -> QuerySet[Clinic]:
    """Active clinics for everyone; also their own inactive clinics for clinic admins; all for
    platform admins."""
    if not user.is_authenticated:
        return Clinic.objects.none()
    if is_platform_admin(user):
        return Clinic.objects.all()
    visible = Q(is_active=True)
    if has_role(user, Role.CLINIC_ADMIN):
        visible |= Q(pk__in=clinics_administered_by(user).values("pk"))
    return Clinic.objects.filter(visible)


# The directory's links: a doctor working at a clinic, both of them listed.
_listed_association = Q(
    is_active=True,
    clinic__is_active=True,
    doctor__is_confirmed=True,
    doctor__user__is_active=True,
)


def listed_clinics() -> QuerySet[Clinic]:
    """Active clinics: what anyone, signed in or not, may read."""
    return Clinic.objects.filter(is_active=True)


def listed_associations() -> QuerySet[DoctorClinicAssociation]:
    """The public part of `associations_visible_to`: active links of listed doctors and clinics."""
    return DoctorClinicAssociation.objects.filter(_listed_association).select_related(
        "doctor__user", "doctor__specialty", "clinic"
    )


def associations_visible_to(user) -> QuerySet[DoctorClinicAssociation]:
    """Patients (and everyone) read the active directory links; doctors their own; clinic admins
    their clinics'; platform admins all."""
    base = DoctorClinicAssociation.objects.select_related(
        "doctor__user", "doctor__specialty", "clinic"
    )
    if not user.is_authenticated:
        return base.none()
    if is_platform_admin(user):
        return base
    visible = _listed_association
    if has_role(user, Role.DOCTOR):
        visible |= Q(doctor__user=user)
    if has_role(user, Role.CLINIC_ADMIN):
        visible |= Q(clinic__in=clinics_administered_by(user))
    return base.filter(visible)


def clinic_admins(clinic: Clinic) -> QuerySet:
    from accounts.models import User

    from .models import ClinicUserObjectPermission

    grants = ClinicUserObjectPermission.objects.filter(
        content_object=clinic, user=OuterRef("pk"), permission__codename="change_clinic"
    )
    return User.objects.filter(Exists(grants)).order_by("email")


def active_associations_prefetch(to_attr: str = "active_associations") -> Prefetch:
    """Prefetch a doctor's current clinics in one query (for nested doctor responses)."""
    return Prefetch(
        "associations",
        queryset=DoctorClinicAssociation.objects.filter(is_active=True, clinic__is_active=True)
        .select_related("clinic")
        .order_by("clinic__name", "id"),
        to_attr=to_attr,
    )

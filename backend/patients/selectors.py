from django.db.models import Q, QuerySet
from rest_framework.exceptions import APIException, NotFound

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from common.profiles import own_profile

from .models import Guardianship, Patient, ProxyGrant
from .permissions import live_guardianships, patients_acted_for_by, patients_treated_by


def patients_visible_to(user) -> QuerySet[Patient]:
    """Own profile, dependents' and those acted for by proxy grant (docs/families.md); patients
    a doctor has an appointment with; all for platform admins."""
    patients = Patient.objects.select_related("user")
    if not user.is_authenticated:
        return patients.none()
    if is_platform_admin(user):
        return patients
    visible = Q(pk__in=patients_acted_for_by(user).values("pk"))
    if has_role(user, Role.DOCTOR):
        visible |= Q(pk__in=patients_treated_by(user).values("pk"))
    return patients.filter(visible)


def own_patient_profile(user, *, refusal: type[APIException] = NotFound) -> Patient:
    """The caller's own patient profile; `refusal` (404 unless the caller's context says 403)
    when they have none."""
    return own_profile(Patient, user, refusal=refusal, kind="patient")


def dependents_of(user) -> QuerySet[Guardianship]:
    """The caller's live guardianships with their dependents' profiles, by the dependent's name."""
    if not user.is_authenticated:
        return Guardianship.objects.none()
    return (
        live_guardianships()
        .filter(guardian__user=user)
        .select_related("dependent__user")
        .order_by("dependent__user__last_name", "dependent__user__first_name", "id")
    )


def claimable_dependents_of(user) -> QuerySet[Guardianship]:
    """The caller's guardianships not ended yet, their access live or not: a dependent who came
    of age is invited to claim their profile by the guardian who managed it."""
    if not user.is_authenticated:
        return Guardianship.objects.none()
    return Guardianship.objects.filter(
        guardian__user=user, ended_at__isnull=True, dependent__is_dependent=True
    ).select_related("dependent")


def mail_address_of(patient: Patient) -> str | None:
    """Where mail about the patient goes: their own address, or for a dependent their
    guardian's today; None for a dependent nobody acts for (came of age, not yet claimed)."""
    if not patient.is_dependent:
        return patient.user.email
    return (
        live_guardianships()
        .filter(dependent=patient)
        .values_list("guardian__user__email", flat=True)
        .first()
    )


def proxy_grants_of(user) -> QuerySet[ProxyGrant]:
    """Grants the caller gave (as the patient) or holds (as the grantee), newest first."""
    if not user.is_authenticated:
        return ProxyGrant.objects.none()
    return (
        ProxyGrant.objects.filter(Q(patient__user=user) | Q(grantee=user))
        .select_related("patient__user", "grantee")
        .order_by("-created_at", "id")
    )

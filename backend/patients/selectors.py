from django.db.models import Q, QuerySet
from rest_framework.exceptions import APIException, NotFound

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from common.profiles import own_profile

from .models import Patient
from .permissions import patients_treated_by


def patients_visible_to(user) -> QuerySet[Patient]:
    """Own profile; patients a doctor has an appointment with; all for platform admins."""
    patients = Patient.objects.select_related("user")
    if not user.is_authenticated:
        return patients.none()
    if is_platform_admin(user):
        return patients
    visible = Q(user=user)
    if has_role(user, Role.DOCTOR):
        visible |= Q(pk__in=patients_treated_by(user).values("pk"))
    return patients.filter(visible)


def own_patient_profile(user, *, refusal: type[APIException] = NotFound) -> Patient:
    """The caller's own patient profile; `refusal` (404 unless the caller's context says 403)
    when they have none."""
    return own_profile(Patient, user, refusal=refusal, kind="patient")

"""Reads of appointments, scoped to the caller (docs/rules.md, "Who may do what")."""

from django.db.models import Q, QuerySet

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from clinics.permissions import clinics_administered_by
from integrations.principal import is_integration_client
from patients.permissions import patients_acted_for_by

from .models import Appointment


def appointments_visible_to(user) -> QuerySet[Appointment]:
    """Patients their own and their dependents', doctors theirs, clinic admins their
    clinics', platform admins all; an integration client its clinic's."""
    appointments = Appointment.objects.select_related(
        "patient__user",
        "doctor__user",
        "doctor__specialty",
        "clinic",
        "proposed_slot",
        "visit_type",
        "booked_by",
    )
    if not user.is_authenticated:
        return appointments.none()
    if is_platform_admin(user):
        return appointments
    if is_integration_client(user):
        return appointments.filter(clinic_id=user.clinic_id)
    visible = Q(pk__in=[])
    if has_role(user, Role.PATIENT):
        # Their own, and their dependents' (docs/families.md).
        visible |= Q(patient__in=patients_acted_for_by(user).values("pk"))
    if has_role(user, Role.DOCTOR):
        visible |= Q(doctor__user=user)
    if has_role(user, Role.CLINIC_ADMIN):
        visible |= Q(clinic__in=clinics_administered_by(user))
    return appointments.filter(visible)

from django.db.models import Q, QuerySet

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin

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

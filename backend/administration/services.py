"""Platform-admin actions that span several apps (roles with the relations behind them)."""

from django.db import transaction

from accounts.models import Role, User
from accounts.services import grant_role, revoke_role
from clinics.permissions import clinics_administered_by
from clinics.services import remove_clinic_admin
from common.errors import ConflictError


class ProfileMissing(ConflictError):
    default_code = "profile_missing"
    default_detail = "This role needs a profile the user does not have (register it first)."


PROFILE_FOR_ROLE = {Role.PATIENT: "patient", Role.DOCTOR: "doctor"}


@transaction.atomic
def grant_user_role(*, user: User, role: str, granted_by: User) -> None:
    """Grant a role. Patient and doctor roles need the matching profile; clinic admins get their
    clinics through the clinic's admins endpoint."""
    profile = PROFILE_FOR_ROLE.get(role)
    if profile and not hasattr(user, profile):
        raise ProfileMissing()
    grant_role(user=user, role=role, granted_by=granted_by)


@transaction.atomic
def revoke_user_role(*, user: User, role: str) -> None:
    """Revoke a role with the rights that came with it (a clinic admin loses every clinic)."""
    if role == Role.CLINIC_ADMIN:
        for clinic in clinics_administered_by(user):
            remove_clinic_admin(clinic=clinic, user=user)
    revoke_role(user=user, role=role)

"""Who administers which clinic: guardian's `change_clinic` object permission is the record."""

from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin

from .models import Clinic

CLINIC_ADMIN_PERMISSION = "clinics.change_clinic"


def grant_clinic_admin_permission(*, user, clinic: Clinic) -> None:
    assign_perm(CLINIC_ADMIN_PERMISSION, user, clinic)


def revoke_clinic_admin_permission(*, user, clinic: Clinic) -> None:
    remove_perm(CLINIC_ADMIN_PERMISSION, user, clinic)


def clinics_administered_by(user) -> QuerySet[Clinic]:
    if not user.is_authenticated:
        return Clinic.objects.none()
    return get_objects_for_user(
        user, CLINIC_ADMIN_PERMISSION, klass=Clinic, accept_global_perms=False, with_superuser=False
    )


def administers_clinic(user, clinic: Clinic) -> bool:
    # The role (read with the user) first: guardian's lookup is two queries, wasted on the
    # patients and doctors who make most requests.
    return bool(
        has_role(user, Role.CLINIC_ADMIN) and user.has_perm(CLINIC_ADMIN_PERMISSION, clinic)
    )


def may_manage_clinic(user, clinic: Clinic) -> bool:
    """Platform admins manage every clinic; clinic admins manage theirs."""
    return is_platform_admin(user) or administers_clinic(user, clinic)


class CanChangeClinic(BasePermission):
    """Reads for anyone who can see the clinic; writes for its admins and platform admins."""

    message = "Only this clinic's admins or a platform admin may change it."

    def has_object_permission(self, request, view, obj: Clinic) -> bool:
        return request.method in SAFE_METHODS or may_manage_clinic(request.user, obj)


class IsTheInvitedDoctor(BasePermission):
    """Only the doctor an association names answers its invitation."""

    message = "Only the doctor this association names may accept or decline it."

    def has_object_permission(self, request, view, obj) -> bool:
        return obj.doctor.user_id == request.user.pk


class CanManageAssociation(BasePermission):
    """Associations are changed by the clinic's admins or platform admins."""

    message = "Only this clinic's admins or a platform admin may change its doctors."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or may_manage_clinic(request.user, obj.clinic)

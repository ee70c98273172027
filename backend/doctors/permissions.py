from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.permissions import is_platform_admin

from .models import Doctor


class IsDoctorSelfOrPlatformAdminForWrites(BasePermission):
    """A doctor edits their own profile; platform admins edit any; others only read."""

    message = "Only the doctor or a platform admin may change this profile."

    def has_object_permission(self, request, view, obj: Doctor) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return obj.user_id == request.user.pk or is_platform_admin(request.user)

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsSlotOwnerForWrites(BasePermission):
    """Only the slot's doctor changes it; clinic and platform admins who can see it only read."""

    message = "Only the slot's doctor may change it."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or obj.doctor.user_id == request.user.pk

from rest_framework.permissions import SAFE_METHODS, BasePermission

from clinics.permissions import administers_clinic


class IsSlotOwnerForWrites(BasePermission):
    """Only the slot's doctor changes it; clinic and platform admins who can see it only read."""

    message = "Only the slot's doctor may change it."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or obj.doctor.user_id == request.user.pk


class ManagesVisitType(BasePermission):
    """A doctor's own type is theirs to change; a clinic's type its admins'."""

    message = "Only the type's doctor, or an admin of its clinic, may change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if obj.doctor_id is not None:
            return obj.doctor.user_id == request.user.pk
        return administers_clinic(request.user, obj.clinic)

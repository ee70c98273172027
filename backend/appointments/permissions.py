from rest_framework.permissions import BasePermission

from accounts.permissions import is_platform_admin
from clinics.permissions import administers_clinic

from .models import Appointment


class CanCancelAppointment(BasePermission):
    """The patient, the doctor, or an admin of the appointment's clinic."""

    message = "Only the patient, the doctor or the clinic's admins may cancel."

    def has_object_permission(self, request, view, obj: Appointment) -> bool:
        user = request.user
        return (
            obj.patient.user_id == user.pk
            or obj.doctor.user_id == user.pk
            or administers_clinic(user, obj.clinic)
        )


class IsAppointmentDoctor(BasePermission):
    """Only the appointment's doctor records its outcome."""

    message = "Only the appointment's doctor may record its outcome."

    def has_object_permission(self, request, view, obj: Appointment) -> bool:
        return obj.doctor.user_id == request.user.pk


class CanRecordPayment(BasePermission):
    """Clinic admins of the appointment's clinic and platform admins record payments."""

    message = "Only the clinic's admins or a platform admin may record payments."

    def has_object_permission(self, request, view, obj: Appointment) -> bool:
        return is_platform_admin(request.user) or administers_clinic(request.user, obj.clinic)

from rest_framework.permissions import BasePermission

from accounts.permissions import is_platform_admin
from clinics.permissions import administers_clinic
from patients.permissions import acts_for_patient

from .models import Appointment


class CanCancelAppointment(BasePermission):
    """The patient (or their guardian), the doctor, or an admin of the appointment's clinic."""

    message = "Only the patient, the doctor or the clinic's admins may cancel."

    def has_object_permission(self, request, view, obj: Appointment) -> bool:
        user = request.user
        return (
            obj.doctor.user_id == user.pk
            or acts_for_patient(user, obj.patient)
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


class CanReschedule(BasePermission):
    """The patient, or an admin of the appointment's clinic (the doctor proposes instead)."""

    message = (
        "Only the patient or the clinic's admins may reschedule; the doctor proposes a new time."
    )

    def has_object_permission(self, request, view, obj: Appointment) -> bool:
        return acts_for_patient(request.user, obj.patient) or administers_clinic(
            request.user, obj.clinic
        )


class CanProposeReschedule(BasePermission):
    """The appointment's doctor, or an admin of its clinic, proposes a new time."""

    message = "Only the appointment's doctor or its clinic's admins may propose a new time."

    def has_object_permission(self, request, view, obj: Appointment) -> bool:
        return obj.doctor.user_id == request.user.pk or administers_clinic(request.user, obj.clinic)


class IsAppointmentPatient(BasePermission):
    """Only the appointment's patient accepts a proposal."""

    message = "Only the appointment's patient may accept a proposal."

    def has_object_permission(self, request, view, obj: Appointment) -> bool:
        return acts_for_patient(request.user, obj.patient)


class CanDeclineProposal(BasePermission):
    """The patient declines a proposal; the doctor or the clinic's admins withdraw it."""

    message = "Only the patient, the doctor or the clinic's admins may decline or withdraw it."

    def has_object_permission(self, request, view, obj: Appointment) -> bool:
        return (
            obj.doctor.user_id == request.user.pk
            or acts_for_patient(request.user, obj.patient)
            or administers_clinic(request.user, obj.clinic)
        )

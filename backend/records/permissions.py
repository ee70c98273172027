"""Who may read and write a patient's medical history and its access log
(docs/rules.md: who may do what, medical records).

A doctor's access rides on guardian's `patients.view_patient`, which the booking service grants
and cancellation revokes once no booked, completed or no-show appointment with the patient is
left: holding it is exactly "has or had an appointment with the patient".
"""

from rest_framework.permissions import BasePermission

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from patients.models import Patient
from patients.permissions import acts_for_patient, patients_treated_by


def is_treating_doctor(user, patient: Patient) -> bool:
    return has_role(user, Role.DOCTOR) and patients_treated_by(user).filter(pk=patient.pk).exists()


class IsTreatingDoctor(BasePermission):
    """Only a doctor treating the patient adds to (or amends) their history."""

    message = "Only a doctor treating this patient may add to their history."

    def has_object_permission(self, request, view, obj: Patient) -> bool:
        return is_treating_doctor(request.user, obj)


class CanReadAccessLog(BasePermission):
    """The patient themself (their guardian, a proxy with the history scope), and platform
    admins for audits."""

    message = "Only the patient and platform admins may read this access log."

    def has_object_permission(self, request, view, obj: Patient) -> bool:
        return acts_for_patient(request.user, obj, history=True) or is_platform_admin(request.user)

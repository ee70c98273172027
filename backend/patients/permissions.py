"""Who may see a patient: the patient, platform admins, and doctors they booked with."""

from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import Patient

TREATING_DOCTOR_PERMISSION = "patients.view_patient"


def grant_doctor_access_to_patient(*, doctor_user, patient: Patient) -> None:
    """Called by the booking service: a doctor with an appointment may see the patient."""
    assign_perm(TREATING_DOCTOR_PERMISSION, doctor_user, patient)


def revoke_doctor_access_to_patient(*, doctor_user, patient: Patient) -> None:
    remove_perm(TREATING_DOCTOR_PERMISSION, doctor_user, patient)


def patients_treated_by(doctor_user) -> QuerySet[Patient]:
    return get_objects_for_user(
        doctor_user,
        TREATING_DOCTOR_PERMISSION,
        klass=Patient,
        accept_global_perms=False,
        with_superuser=False,
    )


class IsPatientSelfForWrites(BasePermission):
    """Only the patient changes their own profile; others who can see it only read."""

    message = "Only the patient may change this profile."

    def has_object_permission(self, request, view, obj: Patient) -> bool:
        return request.method in SAFE_METHODS or obj.user_id == request.user.pk

"""Who may see a patient: the patient, platform admins, and doctors they booked with."""

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role
from accounts.permissions import has_role

from .models import Guardianship, Patient, PatientUserObjectPermission

TREATING_DOCTOR_PERMISSION = "patients.view_patient"


def grant_doctor_access_to_patient(*, doctor_user, patient: Patient) -> None:
    """Called by the booking service: a doctor with an appointment may see the patient.

    The same row guardian's assign_perm writes, as one INSERT ... ON CONFLICT DO NOTHING: the
    grant exists after a doctor's first booking with the patient, and assign_perm's lookups
    (content type, permission, existing grant, savepoint) were a third of a booking's SQL."""
    app_label, codename = TREATING_DOCTOR_PERMISSION.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    PatientUserObjectPermission.objects.bulk_create(
        [
            PatientUserObjectPermission(
                user_id=doctor_user.pk,
                permission_id=Subquery(permission.values("pk")),
                content_object_id=patient.pk,
            )
        ],
        ignore_conflicts=True,
    )


def revoke_doctor_access_to_patient(*, doctor_user, patient: Patient) -> None:
    """What guardian's remove_perm deletes, in one DELETE (no content type lookup first)."""
    app_label, codename = TREATING_DOCTOR_PERMISSION.split(".")
    PatientUserObjectPermission.objects.filter(
        user_id=doctor_user.pk,
        content_object_id=patient.pk,
        permission__content_type__app_label=app_label,
        permission__codename=codename,
    ).delete()


def patients_treated_by(doctor_user) -> QuerySet[Patient]:
    return get_objects_for_user(
        doctor_user,
        TREATING_DOCTOR_PERMISSION,
        klass=Patient,
        accept_global_perms=False,
        with_superuser=False,
    )


def live_guardianships() -> QuerySet[Guardianship]:
    """Guardianships that give access today: not ended, and the dependent not yet of age
    (docs/families.md): access stops on the birthday itself, before the daily task ends the row."""
    today = timezone.localdate()
    return Guardianship.objects.filter(
        Q(access_ends_on__isnull=True) | Q(access_ends_on__gt=today), ended_at__isnull=True
    )


def patients_acted_for_by(user) -> QuerySet[Patient]:
    """The patient profiles `user` books, cancels, reschedules and reads history for: their
    own and those of the dependents they are guardian of today."""
    if not user.is_authenticated:
        return Patient.objects.none()
    dependents = live_guardianships().filter(guardian__user=user).values("dependent")
    return Patient.objects.filter(Q(user=user) | Q(pk__in=dependents))


def acts_for_patient(user, patient: Patient) -> bool:
    """Whether `user` is the patient, or their guardian today."""
    if user is None or not user.is_authenticated:
        return False
    if patient.user_id == user.pk:
        return True
    if not patient.is_dependent or not has_role(user, Role.PATIENT):
        return False
    return live_guardianships().filter(guardian__user=user, dependent=patient).exists()


class IsPatientSelfForWrites(BasePermission):
    """Only the patient changes their own profile; others who can see it only read."""

    message = "Only the patient may change this profile."

    def has_object_permission(self, request, view, obj: Patient) -> bool:
        return request.method in SAFE_METHODS or obj.user_id == request.user.pk

"""Who may see a patient: the patient, platform admins, and doctors they booked with."""

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role
from accounts.permissions import has_role

from .models import Guardianship, Patient, PatientUserObjectPermission, ProxyGrant, ProxyScope

TREATING_DOCTOR_PERMISSION = "patients.view_patient"
# What a proxy grant lets its grantee do (docs/families.md), per scope.
BOOK_FOR_PATIENT = "book_for_patient"
READ_HISTORY_OF_PATIENT = "read_history_of_patient"
SCOPE_PERMISSIONS = {
    ProxyScope.BOOKING: (BOOK_FOR_PATIENT,),
    ProxyScope.BOOKING_HISTORY: (BOOK_FOR_PATIENT, READ_HISTORY_OF_PATIENT),
}


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


def live_proxy_grants() -> QuerySet[ProxyGrant]:
    """Proxy grants accepted, neither revoked nor expired: expiry counts from the instant
    itself, before the task that removes the permissions at `expires_at` has run."""
    return ProxyGrant.objects.filter(
        accepted_at__isnull=False, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def grant_proxy_permissions(*, grant: ProxyGrant) -> None:
    """The guardian permissions the grant's scope gives its grantee on the patient."""
    permissions = Permission.objects.filter(
        content_type__app_label="patients", codename__in=SCOPE_PERMISSIONS[grant.scope]
    )
    PatientUserObjectPermission.objects.bulk_create(
        [
            PatientUserObjectPermission(
                user_id=grant.grantee_id, permission=permission, content_object_id=grant.patient_id
            )
            for permission in permissions
        ],
        ignore_conflicts=True,
    )


def revoke_proxy_permissions(*, grant: ProxyGrant) -> None:
    if grant.grantee_id is None:
        return
    PatientUserObjectPermission.objects.filter(
        user_id=grant.grantee_id,
        content_object_id=grant.patient_id,
        permission__content_type__app_label="patients",
        permission__codename__in=(BOOK_FOR_PATIENT, READ_HISTORY_OF_PATIENT),
    ).delete()


def _proxied(user, codename: str) -> Q:
    """Patients `user` holds `codename` on through a live proxy grant: both the permission
    (guardian's row) and the grant's validity, so an expired grant stops at once."""
    granted = PatientUserObjectPermission.objects.filter(
        user=user,
        permission__content_type__app_label="patients",
        permission__codename=codename,
    ).values("content_object")
    live = live_proxy_grants().filter(grantee=user).values("patient")
    return Q(pk__in=granted) & Q(pk__in=live)


def patients_acted_for_by(user, *, history: bool = False) -> QuerySet[Patient]:
    """The patient profiles `user` acts for: their own, their dependents' today, and those of
    patients who granted them proxy access. `history`: for reading the medical history, which
    a proxy needs the booking-and-history scope for."""
    if not user.is_authenticated:
        return Patient.objects.none()
    dependents = live_guardianships().filter(guardian__user=user).values("dependent")
    proxied = _proxied(user, READ_HISTORY_OF_PATIENT if history else BOOK_FOR_PATIENT)
    return Patient.objects.filter(Q(user=user) | Q(pk__in=dependents) | proxied)


def acts_for_patient(user, patient: Patient, *, history: bool = False) -> bool:
    """Whether `user` is the patient, their guardian today, or holds a live proxy grant of
    theirs (with the history scope, for `history`)."""
    if user is None or not user.is_authenticated:
        return False
    if patient.user_id == user.pk:
        return True
    if not has_role(user, Role.PATIENT):
        return False
    return patients_acted_for_by(user, history=history).filter(pk=patient.pk).exists()


class IsPatientSelfForWrites(BasePermission):
    """Only the patient changes their own profile; others who can see it only read."""

    message = "Only the patient may change this profile."

    def has_object_permission(self, request, view, obj: Patient) -> bool:
        return request.method in SAFE_METHODS or obj.user_id == request.user.pk

"""Reads of medical history and its access log, scoped to the caller (SPEC §3, §8)."""

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Role
from accounts.permissions import has_role
from patients.models import Patient
from patients.permissions import patients_treated_by

from .models import PatientHistoryEntry, RecordAccessLog


def patients_with_history_readable_by(user) -> QuerySet[Patient]:
    """The patient's own record, and the patients a doctor treats. Admins of any kind read no
    medical content, so they get nothing here."""
    patients = Patient.objects.select_related("user")
    if not user.is_authenticated:
        return patients.none()
    readable = Q(user=user)
    if has_role(user, Role.DOCTOR):
        readable |= Q(pk__in=patients_treated_by(user).values("pk"))
    return patients.filter(readable)


def history_entries_readable_by(user) -> QuerySet[PatientHistoryEntry]:
    return PatientHistoryEntry.objects.filter(
        patient__in=patients_with_history_readable_by(user).values("pk")
    )


def history_of(patient: Patient) -> QuerySet[PatientHistoryEntry]:
    """A patient's entries, newest first, with their authors and the ids of later amendments."""
    amendments = PatientHistoryEntry.objects.only("id", "amends_id").order_by("created_at", "id")
    return (
        PatientHistoryEntry.objects.filter(patient=patient)
        .select_related("author__user", "author__specialty")
        .prefetch_related(Prefetch("amendments", queryset=amendments))
        .order_by("-created_at", "id")
    )


def access_log_of(patient: Patient) -> QuerySet[RecordAccessLog]:
    return (
        RecordAccessLog.objects.filter(patient=patient)
        .select_related("user")
        .order_by("-created_at", "id")
    )

"""Reads of medical history and its access log, scoped to the caller (docs/rules.md)."""

from django.db.models import Case, OuterRef, Prefetch, Q, QuerySet, Subquery, UUIDField, Value, When
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import has_role
from patients.models import Patient
from patients.permissions import patients_acted_for_by, patients_treated_by

from .models import BreakGlassAccess, PatientHistoryEntry, RecordAccessLog


def open_break_glass_of(user) -> QuerySet[BreakGlassAccess]:
    """The doctor's emergency accesses that have not expired yet."""
    return BreakGlassAccess.objects.filter(doctor__user=user, expires_at__gt=timezone.now())


def patients_with_history_readable_by(user) -> QuerySet[Patient]:
    """The patient's own record and their dependents', the patients a doctor treats, and
    those a doctor holds open emergency access to. Admins of any kind read no medical
    content, so they get nothing here.

    Each patient carries `break_glass_id`: the open emergency access a read of theirs is made
    under (None for the patient themself and for a treating doctor), for the access log."""
    patients = Patient.objects.select_related("user").annotate(
        break_glass_id=Value(None, output_field=UUIDField())
    )
    if not user.is_authenticated:
        return patients.none()
    # The patient's own, their dependents', and by proxy grant (docs/families.md).
    readable = Q(pk__in=patients_acted_for_by(user, history=True).values("pk"))
    if has_role(user, Role.DOCTOR):
        treated = Q(pk__in=patients_treated_by(user).values("pk"))
        emergency = open_break_glass_of(user)
        readable |= treated | Q(pk__in=emergency.values("patient"))
        latest = emergency.filter(patient=OuterRef("pk")).order_by("-expires_at").values("pk")
        patients = patients.annotate(
            break_glass_id=Case(
                When(treated, then=Value(None)),
                default=Subquery(latest[:1]),
                output_field=UUIDField(),
            )
        )
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
        .select_related("user", "break_glass")
        .order_by("-created_at", "id")
    )

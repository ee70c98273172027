"""Medical history writes and the access log. Entries are only ever inserted; every write is
logged in the same transaction, so there is no entry without its log row and no log row for a
write that rolled back."""

import ipaddress
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment, AppointmentStatus
from common.errors import ConflictError, field_error
from doctors.models import Doctor
from patients.models import Patient

from .models import AccessAction, BreakGlassAccess, PatientHistoryEntry, RecordAccessLog
from .permissions import is_treating_doctor

USER_AGENT_MAX_LENGTH = RecordAccessLog._meta.get_field("user_agent").max_length


@dataclass(frozen=True)
class AccessContext:
    """Who reads or writes a record, and from where."""

    user: User
    ip_address: str | None = None
    user_agent: str = ""


def access_context(*, user: User, client_ip: str | None, user_agent: str) -> AccessContext:
    try:
        ip = str(ipaddress.ip_address(client_ip or ""))
    except ValueError:
        ip = None
    return AccessContext(user=user, ip_address=ip, user_agent=user_agent[:USER_AGENT_MAX_LENGTH])


def log_record_access(
    *,
    access: AccessContext,
    patient: Patient,
    action: str,
    entries: Iterable[PatientHistoryEntry],
    break_glass_id: uuid.UUID | None = None,
) -> RecordAccessLog:
    """One row per request: who did `action` on which of the patient's entries, and under
    which emergency access, if any."""
    return RecordAccessLog.objects.create(
        user=access.user,
        patient=patient,
        action=action,
        entry_ids=[str(entry.pk) for entry in entries],
        ip_address=access.ip_address,
        user_agent=access.user_agent,
        break_glass_id=break_glass_id,
    )


class AlreadyHasAccess(ConflictError):
    default_code = "already_has_access"
    default_detail = "You treat this patient and can read their history without emergency access."


@transaction.atomic
def open_break_glass(
    *, doctor: Doctor, patient: Patient, reason: str, access: AccessContext
) -> BreakGlassAccess:
    """Emergency read access to the history of a patient the doctor does not treat, for
    `BREAK_GLASS_MINUTES`. The opening, with its reason, goes to the patient's access log in
    the same transaction."""
    if is_treating_doctor(access.user, patient):
        raise AlreadyHasAccess()
    grant = BreakGlassAccess.objects.create(
        doctor=doctor,
        patient=patient,
        reason=reason,
        expires_at=timezone.now() + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    log_record_access(
        access=access,
        patient=patient,
        action=AccessAction.BREAK_GLASS,
        entries=[],
        break_glass_id=grant.pk,
    )
    return grant


@transaction.atomic
def add_history_entry(
    *,
    author: Doctor,
    patient: Patient,
    access: AccessContext,
    entry_type: str,
    title: str,
    details: str = "",
    icd10_code: str = "",
    appointment_id: uuid.UUID | None = None,
    medication: str = "",
    dosage: str = "",
    frequency: str = "",
    duration: str = "",
    instructions: str = "",
) -> PatientHistoryEntry:
    """Add an entry to the patient's history. A linked appointment must be a non-cancelled
    one between this doctor and this patient. The caller checks the doctor treats the patient."""
    entry = _new_entry(
        author=author,
        patient=patient,
        entry_type=entry_type,
        title=title,
        details=details,
        icd10_code=icd10_code,
        appointment_id=appointment_id,
        medication=medication,
        dosage=dosage,
        frequency=frequency,
        duration=duration,
        instructions=instructions,
    )
    log_record_access(access=access, patient=patient, action=AccessAction.CREATE, entries=[entry])
    return entry


@transaction.atomic
def amend_history_entry(
    *,
    amends: PatientHistoryEntry,
    author: Doctor,
    patient: Patient,
    access: AccessContext,
    **fields,
) -> PatientHistoryEntry:
    """Correct an entry: a new entry of the same patient that `amends` it, taking the same
    fields as `add_history_entry`; the original stays exactly as it was."""
    if amends.patient_id != patient.pk:
        raise field_error(
            "amends",
            "Only an entry of this patient's history can be amended here.",
            code="amends_other_patient",
        )
    entry = _new_entry(author=author, patient=patient, amends=amends, **fields)
    log_record_access(access=access, patient=patient, action=AccessAction.AMEND, entries=[entry])
    return entry


def _new_entry(
    *,
    author: Doctor,
    patient: Patient,
    appointment_id: uuid.UUID | None = None,
    **fields,
) -> PatientHistoryEntry:
    appointment = None
    if appointment_id is not None:
        appointment = _appointment_between(
            appointment_id=appointment_id, author=author, patient=patient
        )
    entry = PatientHistoryEntry(author=author, patient=patient, appointment=appointment, **fields)
    # The foreign keys are objects checked above; validating them again costs a query each.
    entry.full_clean(exclude=["author", "patient", "appointment", "amends"])
    entry.save()
    return entry


def _appointment_between(*, appointment_id: uuid.UUID, author: Doctor, patient: Patient):
    # One answer for "no such appointment" and "someone else's": no existence oracle.
    appointment = Appointment.objects.filter(
        pk=appointment_id, patient=patient, doctor=author
    ).first()
    if appointment is None:
        raise field_error(
            "appointment",
            "This is not an appointment between you and this patient.",
            code="appointment_mismatch",
        )
    if appointment.status == AppointmentStatus.CANCELLED:
        raise field_error(
            "appointment", "The appointment was cancelled.", code="appointment_cancelled"
        )
    return appointment

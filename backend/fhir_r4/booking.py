"""The FHIR booking path: an Appointment resource (POST) or a status change (PUT, PATCH) read
into a call of the appointment services. The views (views.py) stay thin; every refusal here is
a 400 or 422 OperationOutcome naming the element (docs/fhir.md)."""

import uuid

from rest_framework.exceptions import PermissionDenied

from accounts.models import User
from appointments import services
from appointments.models import Appointment
from appointments.services import BookingResult
from common.errors import UnprocessableError
from integrations.errors import PatientNotKnownToClinic
from integrations.principal import is_integration_client
from patients.selectors import patients_visible_to
from scheduling.models import Slot

from . import resources
from .search import bad_param, reference_id
from .selectors import patient_known_to_clinic

NOTES_MAX, REASON_MAX = 2000, 500


class UnsupportedChange(UnprocessableError):
    default_code = "unsupported_change"
    default_detail = "Only a change of the status to cancelled is supported."


def _resource_body(data, *, kind: str = "Appointment") -> dict:
    if not isinstance(data, dict) or data.get("resourceType") != kind:
        raise bad_param("resourceType", f"Send an {kind} resource.", code="invalid_resource")
    return data


def _text(body: dict, name: str, limit: int) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise bad_param(name, "A string is required.")
    if len(value) > limit:
        raise bad_param(name, f"At most {limit} characters.", code="max_length")
    return value


def _reason(value) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, dict) or not isinstance(value.get("text", ""), str):
        raise bad_param("cancelationReason", "A CodeableConcept with a text is required.")
    text = value.get("text", "")
    if len(text) > REASON_MAX:
        raise bad_param(
            "cancelationReason.text", f"At most {REASON_MAX} characters.", code="max_length"
        )
    return text


def _slot_id(body: dict) -> uuid.UUID:
    slots = body.get("slot")
    if not isinstance(slots, list) or len(slots) != 1 or not isinstance(slots[0], dict):
        raise bad_param("slot", 'Reference exactly one Slot: [{"reference": "Slot/<id>"}].')
    raw = slots[0].get("reference")
    if not isinstance(raw, str) or "/" not in raw:
        raise bad_param("slot", "Reference the Slot as Slot/<id>.")
    slot_id = reference_id("slot", raw, ("Slot",))
    if slot_id is None:
        raise bad_param("slot", "Not a CareSlot Slot id.", code="does_not_exist")
    return slot_id


def _patient_for_client(body: dict, clinic_id, slot_id):
    """An integration books at its own clinic, for a Patient participant with an
    appointment history there (the stand-in for consent, docs/integrations.md)."""
    if not Slot.objects.filter(pk=slot_id, clinic_id=clinic_id).exists():
        raise bad_param("slot", "Not a Slot of this client's clinic.", code="does_not_exist")
    references = [
        participant["actor"]["reference"]
        for participant in body.get("participant", [])
        if isinstance(participant, dict)
        and isinstance(participant.get("actor"), dict)
        and isinstance(participant["actor"].get("reference"), str)
        and participant["actor"]["reference"].rsplit("/", 2)[-2:-1] == ["Patient"]
    ]
    if len(references) != 1:
        raise bad_param(
            "participant", "Name the patient: one participant Patient/<id>.", code="required"
        )
    patient_id = reference_id("participant", references[0], ("Patient",))
    patient = patient_known_to_clinic(patient_id=patient_id, clinic_id=clinic_id)
    if patient is None:
        raise PatientNotKnownToClinic()
    return patient


def _check_participants(body: dict, patient) -> None:
    """Participants are optional (the caller is the patient; the slot names the doctor and
    the clinic); a Patient named there must be the caller."""
    participants = body.get("participant", [])
    if not isinstance(participants, list):
        raise bad_param("participant", "A list of participants is required.")
    for participant in participants:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        ref = actor.get("reference") if isinstance(actor, dict) else None
        if not isinstance(ref, str):
            raise bad_param("participant", "Each participant needs an actor reference.")
        if (
            ref.rsplit("/", 2)[-2:-1] == ["Patient"]
            and reference_id("participant", ref, ("Patient",)) != patient.pk
        ):
            raise PermissionDenied("You may book only for yourself.")


def book(*, user: User, body, idempotency_key: str) -> BookingResult:
    """Book the one Slot the Appointment references, for the calling patient or, for an
    integration client, for the Patient participant it names."""
    body = _resource_body(body)
    if body.get("status") != "booked":
        raise bad_param("status", "Create an Appointment with status booked.")
    slot_id = _slot_id(body)
    notes = _text(body, "comment", NOTES_MAX)
    if is_integration_client(user):
        patient = _patient_for_client(body, user.clinic_id, slot_id)
    else:
        patient = patients_visible_to(user).filter(user=user).first()
    if patient is None:
        raise PermissionDenied("You have no patient profile.")
    _check_participants(body, patient)
    key = idempotency_key.strip() or None
    if key and len(key) > 255:
        raise bad_param("Idempotency-Key", "At most 255 characters.", code="max_length")
    return services.book_appointment(
        patient=patient, slot_id=slot_id, notes=notes, idempotency_key=key
    )


def change_from_resource(body, *, pk: str) -> tuple[str, str]:
    """(wanted status, reason) of a PUT of the whole Appointment."""
    body = _resource_body(body)
    if "id" in body and body["id"] != pk:
        raise bad_param("id", "The id must be the one in the URL.")
    wanted = body.get("status")
    if not isinstance(wanted, str):
        raise bad_param("status", "A status is required.")
    return wanted, _reason(body.get("cancelationReason"))


def change_from_patch(operations) -> tuple[str, str]:
    """(wanted status, reason) of a JSON Patch: only /status and /cancelationReason."""
    if not isinstance(operations, list) or not operations:
        raise bad_param("patch", "Send a JSON Patch (RFC 6902) array of operations.")
    wanted, reason = None, ""
    for operation in operations:
        if not isinstance(operation, dict) or operation.get("op") not in ("replace", "add"):
            raise UnsupportedChange("Only replace and add operations are supported.")
        path, value = operation.get("path"), operation.get("value")
        if path == "/status" and isinstance(value, str):
            wanted = value
        elif path == "/cancelationReason":
            reason = _reason(value)
        elif path == "/cancelationReason/text":
            reason = _reason({"text": value})
        else:
            raise UnsupportedChange(
                "Only /status (to cancelled) and /cancelationReason may be patched."
            )
    if wanted is None:
        raise UnsupportedChange("Patch /status to cancelled.")
    return wanted, reason


def change_status(
    appointment: Appointment, *, wanted: str, reason: str, by: User
) -> Appointment | None:
    """Cancel the appointment when `wanted` is cancelled and it is not already; None when the
    status asked for is the one it has. An integration client cancels on nobody's behalf."""
    if wanted == resources.APPOINTMENT_STATUS[appointment.status]:
        return None
    if wanted != "cancelled":
        raise UnsupportedChange()
    return services.cancel_appointment(
        appointment=appointment,
        cancelled_by=None if is_integration_client(by) else by,
        reason=reason,
    )

"""What an integration client may be granted, and what each scope reaches (docs/integrations.md).

Views that accept a client's token name the scope each of their actions needs in
`integration_scopes` (action name for viewsets, lower-case method for plain views); a view
without it refuses every client token (`insufficient_scope`), so a new endpoint is closed to
clients until it says otherwise."""

from django.db import models


class Scope(models.TextChoices):
    SCHEDULE_READ = "schedule:read", "Read the clinic's slots (REST)"
    SLOTS_WRITE = "slots:write", "Move, block, unblock and remove the clinic's slots (REST)"
    APPOINTMENTS_READ = "appointments:read", "Read the clinic's appointments (REST)"
    APPOINTMENTS_WRITE = (
        "appointments:write",
        "Book (FHIR) and cancel appointments at the clinic for patients it already saw",
    )
    WEBHOOKS_MANAGE = "webhooks:manage", "Manage the clinic's webhook endpoints"
    FHIR_SLOT_READ = "system/Slot.read", "FHIR: read Slots"
    FHIR_SCHEDULE_READ = "system/Schedule.read", "FHIR: read Schedules"
    FHIR_APPOINTMENT_READ = "system/Appointment.read", "FHIR: read the clinic's Appointments"
    FHIR_ALL_READ = "system/*.read", "FHIR: read every resource type a client may read"


# What `system/*.read` stands for. Patient is not there: no scope reaches patient data or
# medical history in this round.
FHIR_READABLE_TYPES = (
    "Slot",
    "Schedule",
    "Appointment",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "Organization",
)


def fhir_read_scope(resource_type: str) -> str:
    return f"system/{resource_type}.read"


def grants(held: frozenset[str], needed: str) -> bool:
    """Whether the scopes `held` include `needed` (the FHIR wildcard included)."""
    if needed in held:
        return True
    return Scope.FHIR_ALL_READ in held and needed in {
        fhir_read_scope(name) for name in FHIR_READABLE_TYPES
    }

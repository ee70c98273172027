"""The resource types the FHIR API serves: for each, the caller-scoped rows (the REST API's own
selectors), how a row becomes a resource, and its search parameters. The CapabilityStatement
is generated from this table, so it lists exactly what the views do."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from appointments.selectors import appointments_visible_to
from clinics.selectors import associations_visible_to, clinics_visible_to
from directory.selectors import doctors_visible_to
from patients.selectors import patients_visible_to

from . import resources
from .search import (
    SearchParam,
    any_of,
    bad_param,
    by_code,
    by_date,
    by_reference,
    by_text,
    by_token,
    reference_id,
)
from .selectors import slots_readable_by


@dataclass(frozen=True)
class ResourceType:
    name: str
    rows: Callable[[object], QuerySet]  # the caller's readable rows, ordered, joins declared
    to_resource: Callable[[object], dict]
    search: list[SearchParam]
    writable: bool = False  # create (POST), update (PUT) and patch (PATCH): Appointment only
    documentation: str = ""


def _active(field: str) -> SearchParam:
    return SearchParam(
        "active",
        "token",
        "true or false",
        by_token(field, {"true": True, "false": False}),
    )


def _clinic_text_params() -> list[SearchParam]:
    """Organization and Location are both a clinic: they search the same way."""
    return [
        SearchParam("name", "string", "Part of the clinic's name", by_text("name")),
        SearchParam("address-city", "string", "Part of the city", by_text("city")),
    ]


def _specialty(field: str) -> SearchParam:
    return SearchParam(
        "specialty",
        "token",
        f"A specialty code ({resources.SPECIALTY_SYSTEM}|<slug> or the bare slug)",
        by_code(field, system=resources.SPECIALTY_SYSTEM),
    )


def _schedule_handler(queryset: QuerySet, name: str, values: list[str], user) -> QuerySet:
    """Slots of the schedules (doctor at clinic) named, among the schedules the caller sees."""
    for value in values:
        ids = [reference_id(name, part, ("Schedule",)) for part in any_of([value])]
        schedules = associations_visible_to(user).filter(
            pk__in=[pk for pk in ids if pk is not None],
            doctor=OuterRef("doctor_id"),
            clinic=OuterRef("clinic_id"),
        )
        queryset = queryset.filter(Exists(schedules))
    return queryset


ACTOR_FIELDS = {"Practitioner": "doctor_id", "Location": "clinic_id", "PractitionerRole": "pk"}


def _actor_handler(queryset: QuerySet, name: str, values: list[str], user) -> QuerySet:
    for value in values:
        condition = Q(pk__in=[])
        for part in any_of([value]):
            if "/" not in part:
                raise bad_param(name, "Reference the actor with its type, e.g. Location/<id>.")
            kind = part.rsplit("/", 2)[-2]
            pk = reference_id(name, part, tuple(ACTOR_FIELDS))
            if pk is not None:
                condition |= Q(**{ACTOR_FIELDS[kind]: pk})
        queryset = queryset.filter(condition)
    return queryset


SLOT_CODES = {code: value for value, code in resources.SLOT_STATUS.items()} | {
    "busy-tentative": None,
    "entered-in-error": None,
}
APPOINTMENT_CODES = {code: value for value, code in resources.APPOINTMENT_STATUS.items()} | {
    code: None
    for code in (
        "proposed",
        "pending",
        "arrived",
        "checked-in",
        "waitlist",
        "entered-in-error",
    )
}


def _practitioners(user) -> QuerySet:
    return doctors_visible_to(user)


def _practitioner(doctor) -> dict:
    return resources.practitioner(
        doctor, languages=[language.language for language in doctor.languages.all()]
    )


def _slot(slot) -> dict:
    return resources.slot(slot, schedule_id=slot.schedule_id)


RESOURCE_TYPES = [
    ResourceType(
        "Practitioner",
        _practitioners,
        _practitioner,
        [
            SearchParam(
                "name",
                "string",
                "Part of the first or last name",
                by_text("user__first_name", "user__last_name"),
            )
        ],
        documentation="A doctor (confirmed and active; a doctor also reads their own profile).",
    ),
    ResourceType(
        "PractitionerRole",
        lambda user: associations_visible_to(user).order_by("-started_on", "id"),
        resources.practitioner_role,
        [
            SearchParam(
                "practitioner",
                "reference",
                "Practitioner/<id>",
                by_reference("doctor_id", "Practitioner"),
            ),
            SearchParam(
                "organization",
                "reference",
                "Organization/<id>",
                by_reference("clinic_id", "Organization"),
            ),
            SearchParam(
                "location", "reference", "Location/<id>", by_reference("clinic_id", "Location")
            ),
            _specialty("doctor__specialty__slug"),
            _active("is_active"),
        ],
        documentation="A doctor working at a clinic (doctor_clinic_association), with the "
        "doctor's specialty.",
    ),
    ResourceType(
        "Organization",
        lambda user: clinics_visible_to(user).order_by("name", "id"),
        resources.organization,
        [*_clinic_text_params(), _active("is_active")],
        documentation="A clinic, as the organization.",
    ),
    ResourceType(
        "Location",
        lambda user: clinics_visible_to(user).order_by("name", "id"),
        resources.location,
        _clinic_text_params(),
        documentation="A clinic, as the place (same id as its Organization); its IANA time "
        "zone in the timezone extension.",
    ),
    ResourceType(
        "Schedule",
        lambda user: associations_visible_to(user).order_by("-started_on", "id"),
        resources.schedule,
        [
            SearchParam(
                "actor",
                "reference",
                "Practitioner/<id>, Location/<id> or PractitionerRole/<id>",
                _actor_handler,
            ),
            _specialty("doctor__specialty__slug"),
            _active("is_active"),
        ],
        documentation="The calendar of one doctor at one clinic (id: the doctor_clinic_"
        "association, as its PractitionerRole).",
    ),
    ResourceType(
        "Slot",
        lambda user: slots_readable_by(user).order_by("start", "id"),
        _slot,
        [
            SearchParam("schedule", "reference", "Schedule/<id>", _schedule_handler),
            SearchParam(
                "start",
                "date",
                "Prefixes ge, gt, le, lt, eq; a day (UTC) or a time with its offset; repeat "
                "for a range (start=ge2026-12-01&start=lt2026-12-02)",
                by_date("start"),
            ),
            SearchParam(
                "status",
                "token",
                "free, busy, busy-unavailable (busy-tentative, entered-in-error: never used)",
                by_token("status", SLOT_CODES),
            ),
            _specialty("doctor__specialty__slug"),
        ],
        documentation="Everyone signed in reads the bookable (free) slots; doctors and clinic "
        "admins also the slots they manage, in any status; platform admins all.",
    ),
    ResourceType(
        "Appointment",
        lambda user: appointments_visible_to(user).order_by("start", "id"),
        resources.appointment,
        [
            SearchParam(
                "patient", "reference", "Patient/<id>", by_reference("patient_id", "Patient")
            ),
            SearchParam(
                "practitioner",
                "reference",
                "Practitioner/<id>",
                by_reference("doctor_id", "Practitioner"),
            ),
            SearchParam(
                "location", "reference", "Location/<id>", by_reference("clinic_id", "Location")
            ),
            SearchParam("slot", "reference", "Slot/<id>", by_reference("slot_id", "Slot")),
            SearchParam(
                "status",
                "token",
                "booked, fulfilled, noshow, cancelled (other codes: never used)",
                by_token("status", APPOINTMENT_CODES),
            ),
            SearchParam(
                "date",
                "date",
                "The start; prefixes ge, gt, le, lt, eq",
                by_date("start"),
            ),
        ],
        writable=True,
        documentation="Patients read their own, doctors theirs, clinic admins their clinics', "
        "platform admins all. Create: POST an Appointment with status booked referencing one "
        "free Slot (patients). Cancel: PUT the Appointment with status cancelled, or PATCH "
        "(JSON Patch) /status to cancelled (the patient, the doctor, the clinic's admins).",
    ),
    ResourceType(
        "Patient",
        lambda user: patients_visible_to(user).order_by(
            "user__last_name", "user__first_name", "id"
        ),
        resources.patient,
        [
            SearchParam(
                "name",
                "string",
                "Part of the first or last name",
                by_text("user__first_name", "user__last_name"),
            ),
        ],
        documentation="Patients read their own record; doctors the patients who booked with "
        "them; platform admins all; clinic admins none.",
    ),
]
BY_NAME = {resource_type.name: resource_type for resource_type in RESOURCE_TYPES}

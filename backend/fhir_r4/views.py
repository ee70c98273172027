"""The FHIR R4 endpoints under /fhir/r4/: thin views over the REST API's selectors and
services. They stay out of the OpenAPI schema (docs/fhir.md and the CapabilityStatement
describe them); errors become OperationOutcomes in `outcomes.OperationOutcomeMiddleware`."""

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import any_role
from appointments import services
from appointments.permissions import CanCancelAppointment
from appointments.selectors import appointments_visible_to
from clinics.selectors import listed_associations, listed_clinics
from common.errors import UnprocessableError
from integrations.errors import PatientNotKnownToClinic
from integrations.permissions import IsIntegrationClient
from integrations.principal import is_integration_client
from integrations.scopes import FHIR_READABLE_TYPES, Scope, fhir_read_scope
from patients.selectors import patients_visible_to
from scheduling.models import Slot

from . import resources
from .capability import capability_statement
from .media import FHIR_NDJSON, PARSERS, RENDERERS
from .registry import BY_NAME, ResourceType
from .search import apply_search, bad_param, parse_uuid, reference_id, searchset
from .selectors import patient_known_to_clinic, public_slots

IsPatient = any_role(Role.PATIENT)
NOTES_MAX, REASON_MAX = 2000, 500


class UnsupportedChange(UnprocessableError):
    default_code = "unsupported_change"
    default_detail = "Only a change of the status to cancelled is supported."


def base_url(request: Request) -> str:
    return request.build_absolute_uri("/fhir/r4").rstrip("/")


@extend_schema(exclude=True)
class FHIRView(APIView):
    renderer_classes = RENDERERS
    parser_classes = PARSERS
    permission_classes = [IsAuthenticated]


class PublicFHIRView(FHIRView):
    authentication_classes = []
    permission_classes = [AllowAny]


class MetadataView(PublicFHIRView):
    """GET metadata: the CapabilityStatement."""

    def get(self, request: Request) -> Response:
        return Response(capability_statement(base_url(request)))


class SearchView(FHIRView):
    """GET <Type>: search, as a searchset Bundle."""

    resource_type: ResourceType = None

    def get(self, request: Request) -> Response:
        kind = self.resource_type
        rows = apply_search(kind.rows(request.user), request, kind.search)
        return Response(searchset(request, rows, kind.to_resource))


class ReadView(FHIRView):
    """GET <Type>/<id>: read one resource the caller may see (else 404)."""

    resource_type: ResourceType = None

    def get_object(self, pk: str):
        key = parse_uuid(pk)
        found = self.resource_type.rows(self.request.user).filter(pk=key).first() if key else None
        if found is None:
            raise NotFound(f"{self.resource_type.name}/{pk} is not known.")
        self.check_object_permissions(self.request, found)
        return found

    def get(self, request: Request, pk: str) -> Response:
        return Response(self.resource_type.to_resource(self.get_object(pk)))


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


class AppointmentSearchView(SearchView):
    """GET Appointment (search) and POST Appointment (book a free Slot)."""

    resource_type = BY_NAME["Appointment"]
    # A booking with an Idempotency-Key may run twice (common.middleware): the second run
    # returns the first one's appointment.
    idempotent_actions = {"post"}

    integration_scopes = {
        "get": fhir_read_scope("Appointment"),
        "post": Scope.APPOINTMENTS_WRITE,
    }

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), (IsPatient | IsIntegrationClient)()]
        return super().get_permissions()

    def post(self, request: Request) -> Response:
        body = _resource_body(request.data)
        if body.get("status") != "booked":
            raise bad_param("status", "Create an Appointment with status booked.")
        slot_id = self._slot_id(body)
        notes = _text(body, "comment", NOTES_MAX)
        if is_integration_client(request.user):
            patient = self._patient_for_client(body, request.user.clinic_id, slot_id)
        else:
            patient = patients_visible_to(request.user).filter(user=request.user).first()
        if patient is None:
            raise PermissionDenied("You have no patient profile.")
        self._check_participants(body, patient)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key and len(key) > 255:
            raise bad_param("Idempotency-Key", "At most 255 characters.", code="max_length")
        result = services.book_appointment(
            patient=patient,
            slot_id=slot_id,
            notes=notes,
            idempotency_key=key,
        )
        appointment = appointments_visible_to(request.user).get(pk=result.appointment.pk)
        location = f"{base_url(request)}/Appointment/{appointment.pk}"
        return Response(
            resources.appointment(appointment),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            headers={"Location": location},
        )

    @staticmethod
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

    @staticmethod
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

    @staticmethod
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


class AppointmentReadView(ReadView):
    """GET, PUT and PATCH Appointment/<id>: read; cancel by setting the status to cancelled."""

    resource_type = BY_NAME["Appointment"]
    integration_scopes = {
        "get": fhir_read_scope("Appointment"),
        "put": Scope.APPOINTMENTS_WRITE,
        "patch": Scope.APPOINTMENTS_WRITE,
    }

    def get_permissions(self):
        if self.request.method in ("PUT", "PATCH"):
            return [IsAuthenticated(), (CanCancelAppointment | IsIntegrationClient)()]
        return super().get_permissions()

    def put(self, request: Request, pk: str) -> Response:
        appointment = self.get_object(pk)
        body = _resource_body(request.data)
        if "id" in body and body["id"] != pk:
            raise bad_param("id", "The id must be the one in the URL.")
        wanted = body.get("status")
        if not isinstance(wanted, str):
            raise bad_param("status", "A status is required.")
        return self._change(appointment, wanted, _reason(body.get("cancelationReason")))

    def patch(self, request: Request, pk: str) -> Response:
        appointment = self.get_object(pk)
        operations = request.data
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
        return self._change(appointment, wanted, reason)

    def _change(self, appointment, wanted: str, reason: str) -> Response:
        current = resources.APPOINTMENT_STATUS[appointment.status]
        if wanted != current:
            if wanted != "cancelled":
                raise UnsupportedChange()
            by_client = is_integration_client(self.request.user)
            appointment = services.cancel_appointment(
                appointment=appointment,
                cancelled_by=None if by_client else self.request.user,
                reason=reason,
            )
            appointment = appointments_visible_to(self.request.user).get(pk=appointment.pk)
        return Response(resources.appointment(appointment))


def _client_scopes(name: str) -> dict:
    """What an integration client needs to read `name` (nothing reaches Patient)."""
    return {"get": fhir_read_scope(name)} if name in FHIR_READABLE_TYPES else {}


def search_view(name: str):
    if name == "Appointment":
        return AppointmentSearchView.as_view()
    attributes = {"resource_type": BY_NAME[name], "integration_scopes": _client_scopes(name)}
    return type(f"{name}SearchView", (SearchView,), attributes).as_view()


def read_view(name: str):
    if name == "Appointment":
        return AppointmentReadView.as_view()
    attributes = {"resource_type": BY_NAME[name], "integration_scopes": _client_scopes(name)}
    return type(f"{name}ReadView", (ReadView,), attributes).as_view()


class UnknownView(FHIRView):
    """Any other path under /fhir/r4/: a 404 OperationOutcome, whatever the method."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def _unknown(self, request: Request, *args, **kwargs):
        raise NotFound("No such FHIR resource type or interaction here; see metadata.")

    get = post = put = patch = delete = _unknown


# SMART Scheduling Links ---------------------------------------------------------------------


def _weeks() -> int:
    return settings.FHIR_PUBLISH_WEEKS


def _week_starts(today: date) -> list[date]:
    return [today + timedelta(weeks=week) for week in range(_weeks())]


def _utc_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class BulkPublishView(PublicFHIRView):
    """GET $bulk-publish: the manifest of the Location, Schedule and Slot files."""

    def get(self, request: Request) -> Response:
        base = base_url(request)
        today = timezone.now().date()
        output = [
            {"type": "Location", "url": f"{base}/$bulk-publish/Location.ndjson"},
            {"type": "Schedule", "url": f"{base}/$bulk-publish/Schedule.ndjson"},
        ] + [
            {"type": "Slot", "url": f"{base}/$bulk-publish/Slot-{start}.ndjson"}
            for start in _week_starts(today)
        ]
        manifest = {
            "transactionTime": resources.instant(timezone.now()),
            "request": f"{base}/$bulk-publish",
            "output": output,
            "error": [],
        }
        return Response(manifest, content_type="application/json")


def _ndjson(rows, to_resource) -> StreamingHttpResponse:
    lines = (json.dumps(to_resource(row), separators=(",", ":")) + "\n" for row in rows)
    return StreamingHttpResponse(lines, content_type=FHIR_NDJSON)


class PublishedLocationsView(PublicFHIRView):
    def get(self, request: Request):
        return _ndjson(listed_clinics().order_by("name", "id").iterator(), resources.location)


class PublishedSchedulesView(PublicFHIRView):
    def get(self, request: Request):
        associations = listed_associations().order_by("clinic_id", "id").iterator()
        return _ndjson(associations, resources.schedule)


class PublishedSlotsView(PublicFHIRView):
    """One week of free/busy slots from the given day (UTC), within the published weeks."""

    def get(self, request: Request, day: str):
        try:
            start = date.fromisoformat(day)
        except ValueError:
            raise NotFound("No such slot file.") from None
        today = timezone.now().date()
        # Any day of the published weeks (and yesterday: a manifest read before midnight).
        if not today - timedelta(days=1) <= start < today + timedelta(weeks=_weeks()):
            raise NotFound("No such slot file; the manifest lists the current ones.")
        slots = (
            public_slots()
            .filter(start__gte=_utc_day(start), start__lt=_utc_day(start + timedelta(weeks=1)))
            .order_by("start", "id")
            .iterator(chunk_size=2000)
        )
        return _ndjson(slots, _public_slot)


def _public_slot(slot) -> dict:
    resource = resources.slot(slot, schedule_id=slot.schedule_id)
    del resource["specialty"]  # the Schedule carries it
    if slot.held:
        resource["status"] = "busy"  # kept for a patient: nobody else can book it now
    return resource

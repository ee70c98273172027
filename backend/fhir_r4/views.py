"""The FHIR R4 endpoints under /fhir/r4/: thin views over the REST API's selectors and
services. They stay out of the OpenAPI schema (docs/fhir.md and the CapabilityStatement
describe them); errors become OperationOutcomes in `outcomes.OperationOutcomeMiddleware`."""

import json
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import any_role
from appointments.permissions import CanCancelAppointment
from appointments.selectors import appointments_visible_to
from clinics.selectors import listed_associations, listed_clinics
from integrations.permissions import IsIntegrationClient
from integrations.scopes import FHIR_READABLE_TYPES, Scope, fhir_read_scope

from . import booking, resources
from .capability import capability_statement
from .media import FHIR_NDJSON, PARSERS, RENDERERS
from .registry import BY_NAME, ResourceType
from .search import apply_search, parse_uuid, searchset
from .selectors import public_slots

IsPatient = any_role(Role.PATIENT)


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
        result = booking.book(
            user=request.user,
            body=request.data,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        appointment = appointments_visible_to(request.user).get(pk=result.appointment.pk)
        location = f"{base_url(request)}/Appointment/{appointment.pk}"
        return Response(
            resources.appointment(appointment),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            headers={"Location": location},
        )


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
        wanted, reason = booking.change_from_resource(request.data, pk=pk)
        return self._change(appointment, wanted, reason)

    def patch(self, request: Request, pk: str) -> Response:
        appointment = self.get_object(pk)
        wanted, reason = booking.change_from_patch(request.data)
        return self._change(appointment, wanted, reason)

    def _change(self, appointment, wanted: str, reason: str) -> Response:
        user = self.request.user
        if booking.change_status(appointment, wanted=wanted, reason=reason, by=user) is not None:
            appointment = appointments_visible_to(user).get(pk=appointment.pk)
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

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import any_role
from clinics.permissions import administers_clinic
from common.db_routing import ReplicaReadsMixin
from common.schema import error_response
from common.serializers import UUID_PATTERN
from doctors.models import Doctor
from doctors.selectors import own_doctor_profile
from integrations.permissions import IsIntegrationClient
from integrations.scopes import Scope
from patients.models import Patient
from patients.selectors import own_patient_profile

from . import services
from .filters import ManagedSlotFilter, SlotSearchFilter, VisitTypeFilter
from .models import Slot
from .permissions import IsSlotOwnerForWrites, ManagesVisitType
from .selectors import (
    available_slots_for_search,
    live_holds_of,
    slots_managed_by,
    visit_types_visible_to,
)
from .serializers import (
    SlotCreateSerializer,
    SlotHoldSerializer,
    SlotSerializer,
    SlotTemplateResultSerializer,
    SlotTemplateSerializer,
    SlotUpdateSerializer,
    VisitTypeSerializer,
    VisitTypeUpdateSerializer,
)

TAGS = ["slots"]
VISIT_TYPE_TAGS = ["visit-types"]
SLOT_BOOKED = error_response("SlotBooked", "The slot is booked.", "slot_booked")
SLOT_WRITE_CONFLICT = error_response(
    "SlotWriteConflict", "Booked, or overlapping another slot.", "slot_booked", "slot_overlap"
)
ManagesSlots = any_role(Role.DOCTOR, Role.CLINIC_ADMIN, Role.PLATFORM_ADMIN)
IsDoctor = any_role(Role.DOCTOR)
IsPatient = any_role(Role.PATIENT)
HOLD_CONFLICT = error_response(
    "SlotHoldConflict",
    "The slot is booked, blocked or past, someone else holds it, you hold too many, you held "
    "it a moment ago, or you placed too many holds today.",
    "slot_unavailable",
    "slot_held",
    "too_many_holds",
    "hold_cooldown",
    "too_many_holds_today",
)


@extend_schema_view(
    list=extend_schema(
        summary="Search available slots",
        description=(
            "Future, free slots of confirmed doctors at active clinics they work at, ordered by "
            "start. A slot someone else holds is left out until the hold lapses (your own "
            "holds stay listed). `date_from`/`date_to`/`date` are whole days in the `tz` time "
            "zone."
        ),
        tags=TAGS,
    )
)
class AvailableSlotViewSet(ReplicaReadsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Slot search reads the replica when one is configured; booking and holding a slot read
    the primary under a lock, so a slot listed free from a lagging copy is refused there."""

    serializer_class = SlotSerializer
    filterset_class = SlotSearchFilter
    ordering_fields = ["start"]
    ordering = ["start"]

    def get_queryset(self):
        return available_slots_for_search(viewer=self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List slots I manage",
        description=(
            "A doctor's own slots (all statuses), a clinic admin's clinics' slots, every slot "
            "for platform admins."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get a slot", tags=TAGS),
    destroy=extend_schema(
        summary="Remove my slot (not if booked)",
        tags=TAGS,
        responses={204: None, 409: SLOT_BOOKED},
    ),
)
class SlotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SlotSerializer
    permission_classes = [
        IsAuthenticated,
        ManagesSlots | IsIntegrationClient,
        IsSlotOwnerForWrites | IsIntegrationClient,
    ]
    # An integration client reads and changes its clinic's slots (the selector scopes it);
    # publishing stays the doctor's, holds the patient's (docs/integrations.md).
    integration_scopes = {
        "list": Scope.SCHEDULE_READ,
        "retrieve": Scope.SCHEDULE_READ,
        "partial_update": Scope.SLOTS_WRITE,
        "destroy": Scope.SLOTS_WRITE,
        "block": Scope.SLOTS_WRITE,
        "unblock": Scope.SLOTS_WRITE,
    }
    filterset_class = ManagedSlotFilter
    ordering_fields = ["start", "status"]
    ordering = ["start"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return slots_managed_by(self.request.user)

    def get_permissions(self):
        if self.action in ("create", "bulk"):
            return [IsAuthenticated(), IsDoctor()]
        if self.action in ("hold", "release_hold", "holds"):
            return [IsAuthenticated(), IsPatient()]
        return super().get_permissions()

    def _patient(self) -> Patient:
        return own_patient_profile(self.request.user, refusal=PermissionDenied)

    def _doctor(self) -> Doctor:
        return own_doctor_profile(self.request.user, refusal=PermissionDenied)

    @extend_schema(
        summary="Publish one slot",
        description="Times need a UTC offset. Only confirmed doctors, at clinics they work at.",
        tags=TAGS,
        request=SlotCreateSerializer,
        responses={
            201: SlotSerializer,
            409: error_response("SlotOverlap", "Overlaps another slot.", "slot_overlap"),
        },
    )
    def create(self, request: Request) -> Response:
        data = SlotCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = services.create_slot(doctor=self._doctor(), **data.validated_data)
        return Response(self._fresh(slot), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Publish slots from a weekly template",
        description=(
            "Daily start/end are wall-clock times in the clinic's time zone and stay so across "
            "DST changes. Times in the past or overlapping existing slots are skipped."
        ),
        tags=TAGS,
        request=SlotTemplateSerializer,
        responses={201: SlotTemplateResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        data = SlotTemplateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.create_slots_from_template(doctor=self._doctor(), **data.validated_data)
        slots = slots_managed_by(request.user).filter(pk__in=[s.pk for s in result.created])
        body = {
            "created_count": len(result.created),
            "skipped_count": result.skipped,
            "slots": SlotSerializer(slots, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move my slot (not if booked)",
        tags=TAGS,
        request=SlotUpdateSerializer(partial=True),
        responses={200: SlotSerializer, 409: SLOT_WRITE_CONFLICT},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        slot = self.get_object()
        data = SlotUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        slot = services.update_slot_times(slot=slot, **data.validated_data)
        return Response(self._fresh(slot))

    @extend_schema(
        summary="Block my slot (not bookable)",
        tags=TAGS,
        request=None,
        responses={200: SlotSerializer, 409: SLOT_BOOKED},
    )
    @action(detail=True, methods=["post"])
    def block(self, request: Request, pk=None) -> Response:
        slot = services.set_slot_blocked(slot=self.get_object(), blocked=True)
        return Response(self._fresh(slot))

    @extend_schema(
        summary="Unblock my slot",
        tags=TAGS,
        request=None,
        responses={200: SlotSerializer, 409: SLOT_BOOKED},
    )
    @action(detail=True, methods=["post"])
    def unblock(self, request: Request, pk=None) -> Response:
        slot = services.set_slot_blocked(slot=self.get_object(), blocked=False)
        return Response(self._fresh(slot))

    @extend_schema(
        summary="Hold a free slot while you book it",
        description=(
            "Keeps the slot for you for SLOT_HOLD_MINUTES (10 by default): meanwhile nobody "
            "else finds it in slot search or the directory, and booking it gives them 409 "
            "`slot_held`. Book it with `POST /appointments/` as usual (the hold ends there), or "
            "release it with `DELETE`. It lapses by itself at `expires_at`. Holding a slot you "
            "already hold returns that hold (200), not extended. At most "
            "MAX_ACTIVE_HOLDS_PER_PATIENT (3) live holds per patient."
        ),
        tags=TAGS,
        request=None,
        responses={
            201: SlotHoldSerializer,
            200: OpenApiResponse(SlotHoldSerializer, description="You already hold it"),
            409: HOLD_CONFLICT,
        },
        examples=[
            OpenApiExample(
                "A hold",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": "0b6f9a52-3c1e-4a4e-9f0e-2d1c6b7a8e90",
                    "slot": {
                        "id": "5d2f7c1a-8b3e-4f6a-9c0d-1e2f3a4b5c6d",
                        "doctor": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                        "doctor_name": "Dora Doctor",
                        "specialty": "general-practice",
                        "clinic": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
                        "clinic_name": "Mitte Health",
                        "city": "Berlin",
                        "timezone": "Europe/Berlin",
                        "start": "2026-12-03T08:00:00Z",
                        "end": "2026-12-03T08:30:00Z",
                        "start_local": "2026-12-03T09:00:00+01:00",
                        "end_local": "2026-12-03T09:30:00+01:00",
                        "status": "available",
                    },
                    "source": "patient",
                    "held_at": "2026-11-30T10:00:00Z",
                    "expires_at": "2026-11-30T10:10:00Z",
                },
            ),
            OpenApiExample(
                "Held by someone else",
                response_only=True,
                status_codes=["409"],
                value={
                    "type": "client_error",
                    "errors": [
                        {
                            "code": "slot_held",
                            "detail": "Someone else is holding this slot; try again when the "
                            "hold lapses.",
                            "attr": None,
                        }
                    ],
                },
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk=None) -> Response:
        slot = get_object_or_404(Slot, pk=pk)
        result = services.hold_slot(patient=self._patient(), slot_id=slot.pk)
        return Response(
            SlotHoldSerializer(live_holds_of(request.user).get(pk=result.hold.pk)).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Release my hold on a slot",
        description="The slot is bookable by anyone at once. 404 if you hold no live hold on it.",
        tags=TAGS,
        request=None,
        responses={
            204: None,
            404: error_response(
                "HoldNotFound",
                "You hold no live hold on this slot, or there is no such slot.",
                "hold_not_found",
                "not_found",
            ),
        },
    )
    @hold.mapping.delete
    def release_hold(self, request: Request, pk=None) -> Response:
        services.release_hold(patient=self._patient(), slot_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="My live slot holds",
        description=(
            "The slots you hold now (yours, and those the waitlist offers you), soonest expiry "
            "first."
        ),
        tags=TAGS,
        responses={200: SlotHoldSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def holds(self, request: Request) -> Response:
        return Response(SlotHoldSerializer(live_holds_of(request.user), many=True).data)

    def perform_destroy(self, instance) -> None:
        services.delete_slot(slot=instance)

    def _fresh(self, slot) -> dict:
        return SlotSerializer(slots_managed_by(self.request.user).get(pk=slot.pk)).data


WritesVisitTypes = any_role(Role.DOCTOR, Role.CLINIC_ADMIN)


@extend_schema_view(
    list=extend_schema(
        summary="List visit types",
        description=(
            "Active visit types of confirmed doctors and of active clinics (and the caller's "
            "own, or their clinics'). Filter by `doctor` (their own types), `clinic` (the "
            "clinic's types), `modality`."
        ),
        tags=VISIT_TYPE_TAGS,
    ),
    retrieve=extend_schema(summary="Get a visit type", tags=VISIT_TYPE_TAGS),
    destroy=extend_schema(
        summary="Retire a visit type",
        description=(
            "It is no longer offered and gone from the API (a 404 afterwards); appointments "
            "booked with it keep it. Retired, never deleted."
        ),
        tags=VISIT_TYPE_TAGS,
        responses={204: None},
    ),
)
class VisitTypeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = VisitTypeSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = VisitTypeFilter
    ordering_fields = ["name", "duration_minutes"]
    ordering = ["name"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return visit_types_visible_to(self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), WritesVisitTypes()]
        if self.action in ("partial_update", "destroy"):
            return [IsAuthenticated(), WritesVisitTypes(), ManagesVisitType()]
        return super().get_permissions()

    @extend_schema(
        summary="Create a visit type",
        description=(
            "With `clinic`: a type of that clinic for all of its doctors (its admins only). "
            "Without: the calling doctor's own type, offered at every clinic they work at "
            "(confirmed doctors only). A phone visit needs `phone_number`."
        ),
        tags=VISIT_TYPE_TAGS,
        request=VisitTypeSerializer,
        responses={201: VisitTypeSerializer},
    )
    def create(self, request: Request) -> Response:
        data = VisitTypeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        clinic = values.pop("clinic", None)
        if clinic is not None and not administers_clinic(request.user, clinic):
            raise PermissionDenied("Only this clinic's admins may create its visit types.")
        if clinic is None:
            own_doctor_profile(request.user, refusal=PermissionDenied)
        visit_type = services.create_visit_type(actor=request.user, clinic=clinic, values=values)
        return Response(VisitTypeSerializer(visit_type).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a visit type",
        description=(
            "The type's doctor, or an admin of its clinic. Bookings made from now on follow "
            "the change; appointments already booked keep the length, buffers and price they "
            "were booked with."
        ),
        tags=VISIT_TYPE_TAGS,
        request=VisitTypeUpdateSerializer(partial=True),
        responses={200: VisitTypeSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        visit_type = self.get_object()
        data = VisitTypeUpdateSerializer(visit_type, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        visit_type = services.update_visit_type(
            visit_type=visit_type, values=dict(data.validated_data)
        )
        return Response(VisitTypeSerializer(visit_type).data)

    def perform_destroy(self, instance) -> None:
        services.retire_visit_type(visit_type=instance)

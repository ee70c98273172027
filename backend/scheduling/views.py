from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import any_role
from common.schema import error_response
from common.serializers import UUID_PATTERN
from doctors.models import Doctor

from . import services
from .filters import ManagedSlotFilter, SlotSearchFilter
from .permissions import IsSlotOwnerForWrites
from .selectors import available_slots_for_search, slots_managed_by
from .serializers import (
    SlotCreateSerializer,
    SlotSerializer,
    SlotTemplateResultSerializer,
    SlotTemplateSerializer,
    SlotUpdateSerializer,
)

TAGS = ["slots"]
SLOT_BOOKED = error_response("SlotBooked", "The slot is booked.", "slot_booked")
SLOT_WRITE_CONFLICT = error_response(
    "SlotWriteConflict", "Booked, or overlapping another slot.", "slot_booked", "slot_overlap"
)
ManagesSlots = any_role(Role.DOCTOR, Role.CLINIC_ADMIN, Role.PLATFORM_ADMIN)
IsDoctor = any_role(Role.DOCTOR)


@extend_schema_view(
    list=extend_schema(
        summary="Search available slots",
        description=(
            "Future, free slots of confirmed doctors at active clinics they work at, ordered by "
            "start. `date_from`/`date_to`/`date` are whole days in the `tz` time zone."
        ),
        tags=TAGS,
    )
)
class AvailableSlotViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SlotSerializer
    filterset_class = SlotSearchFilter
    ordering_fields = ["start"]
    ordering = ["start"]

    def get_queryset(self):
        return available_slots_for_search()


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
    permission_classes = [IsAuthenticated, ManagesSlots, IsSlotOwnerForWrites]
    filterset_class = ManagedSlotFilter
    ordering_fields = ["start", "status"]
    ordering = ["start"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return slots_managed_by(self.request.user)

    def get_permissions(self):
        if self.action in ("create", "bulk"):
            return [IsAuthenticated(), IsDoctor()]
        return super().get_permissions()

    def _doctor(self) -> Doctor:
        doctor = Doctor.objects.filter(user=self.request.user).first()
        if doctor is None:
            raise PermissionDenied("You have no doctor profile.")
        return doctor

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

    def perform_destroy(self, instance) -> None:
        services.delete_slot(slot=instance)

    def _fresh(self, slot) -> dict:
        return SlotSerializer(slots_managed_by(self.request.user).get(pk=slot.pk)).data

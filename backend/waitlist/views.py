from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import field_error
from common.schema import error_response
from common.serializers import UUID_PATTERN
from patients.permissions import patients_acted_for_by
from patients.selectors import own_patient_profile

from . import services
from .permissions import IsPatient, SeesWaitlistLengths
from .selectors import entries_of, waitlist_lengths_visible_to
from .serializers import (
    WaitlistEntrySerializer,
    WaitlistJoinSerializer,
    WaitlistLengthSerializer,
)

TAGS = ["waitlist"]


@extend_schema_view(
    list=extend_schema(
        summary="My waitlist entries",
        description=(
            "Every entry you made, newest first: waiting ones with their place in the queue, "
            "and the slot held for you if the waitlist offered you one."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One of my waitlist entries", tags=TAGS),
)
class WaitlistEntryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = WaitlistEntrySerializer
    permission_classes = [IsAuthenticated, IsPatient]
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return entries_of(self.request.user)

    @extend_schema(
        summary="Join a doctor's waitlist",
        description=(
            "Wait for a slot of this doctor, optionally at one clinic, between two dates and "
            "between times of day (wall-clock at the clinic). When a matching slot frees up "
            "(a cancellation, a reschedule away, a new slot), the earliest waiting patient is "
            "emailed and the slot is held for them for WAITLIST_OFFER_MINUTES (30); if they do "
            "not book it in time, the next patient gets it. Booking any slot of the doctor "
            "takes you off the waitlist. A guardian joins for a dependent with `patient` "
            "(docs/families.md)."
        ),
        tags=TAGS,
        request=WaitlistJoinSerializer,
        responses={
            201: WaitlistEntrySerializer,
            409: error_response(
                "WaitlistJoinConflict",
                "Already waiting for this doctor, or on too many waitlists.",
                "already_waiting",
                "too_many_waitlist_entries",
            ),
        },
        examples=[
            OpenApiExample(
                "Weekday mornings at one clinic in December",
                request_only=True,
                value={
                    "doctor": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "clinic": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
                    "date_from": "2026-12-01",
                    "date_to": "2026-12-31",
                    "time_from": "08:00:00",
                    "time_to": "12:00:00",
                },
            ),
            OpenApiExample(
                "Any slot of the doctor",
                request_only=True,
                value={"doctor": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        data = WaitlistJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        joining = dict(data.validated_data)
        if "patient" in joining:
            patient = patients_acted_for_by(request.user).filter(pk=joining.pop("patient")).first()
            if patient is None:
                raise field_error(
                    "patient",
                    "You join waitlists only for yourself and your dependents.",
                    code="does_not_exist",
                )
        else:
            patient = own_patient_profile(request.user, refusal=PermissionDenied)
        entry = services.join_waitlist(patient=patient, actor=request.user, **joining)
        return Response(
            WaitlistEntrySerializer(self.get_queryset().get(pk=entry.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Leave a waitlist",
        description="A slot held for you from this waitlist goes to the next patient.",
        tags=TAGS,
        request=None,
        responses={
            204: None,
            409: error_response("WaitlistNotWaiting", "The entry has ended.", "not_waiting"),
        },
    )
    def destroy(self, request: Request, pk=None) -> Response:
        services.leave_waitlist(entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        summary="Waitlist length per doctor",
        description=(
            "How many patients wait for each doctor: a doctor sees their own, a clinic admin "
            "the doctors of their clinics, a platform admin every doctor. No patient names."
        ),
        tags=TAGS,
    )
)
class WaitlistLengthView(generics.ListAPIView):
    serializer_class = WaitlistLengthSerializer
    permission_classes = [IsAuthenticated, SeesWaitlistLengths]
    ordering = ["-waiting", "id"]

    def get_queryset(self):
        return waitlist_lengths_visible_to(self.request.user).order_by("-waiting", "id")

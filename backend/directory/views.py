"""The doctor directory: search doctors, read a profile, and the profile actions on it."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsPlatformAdmin
from audit.serializers import OptionalReasonSerializer, ReasonSerializer
from common.db_routing import ReplicaReadsMixin
from common.schema import error_response
from doctors import services
from doctors.models import Doctor
from doctors.permissions import IsDoctorSelfOrPlatformAdminForWrites
from doctors.serializers import DoctorUpdateSerializer

from .filters import DoctorFilter
from .selectors import doctors_visible_to
from .serializers import DoctorSerializer

TAGS = ["doctors"]


@extend_schema_view(
    list=extend_schema(
        summary="Search the doctor directory",
        description=(
            "Confirmed doctors with active accounts, with their specialty, languages and current "
            "clinics. Platform admins also see unconfirmed doctors (filter `is_confirmed=false`)."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get a doctor", tags=TAGS),
    partial_update=extend_schema(
        summary="Update a doctor profile (the doctor or a platform admin)",
        tags=TAGS,
        request=DoctorUpdateSerializer(partial=True),
        responses={200: DoctorSerializer},
    ),
)
class DoctorViewSet(
    ReplicaReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    # Browsing reads the replica when one is configured; writes read the primary, and so does
    # a doctor reading their profile right after editing it (the sticky window).
    replica_actions = frozenset({"list", "retrieve"})

    serializer_class = DoctorSerializer
    permission_classes = [IsAuthenticated, IsDoctorSelfOrPlatformAdminForWrites]
    filterset_class = DoctorFilter
    ordering_fields = ["average_rating", "review_count", "consultation_fee", "user__last_name"]
    ordering = ["user__last_name", "user__first_name"]

    def get_queryset(self):
        return doctors_visible_to(self.request.user)

    def partial_update(self, request: Request, pk=None) -> Response:
        return self._update(request, self.get_object())

    @extend_schema(summary="My doctor profile", tags=TAGS, responses={200: DoctorSerializer})
    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request: Request) -> Response:
        return Response(DoctorSerializer(self._own_profile(request)).data)

    @extend_schema(
        summary="Update my doctor profile",
        tags=TAGS,
        request=DoctorUpdateSerializer(partial=True),
        responses={200: DoctorSerializer},
    )
    @me.mapping.patch
    def update_me(self, request: Request) -> Response:
        return self._update(request, self._own_profile(request))

    @extend_schema(
        summary="Confirm a doctor (platform admins)",
        description="The doctor joins the directory and may publish slots; they are emailed.",
        tags=TAGS,
        request=OptionalReasonSerializer,
        responses={
            200: DoctorSerializer,
            409: error_response(
                "DoctorConfirmConflict", "Already confirmed.", "doctor_already_confirmed"
            ),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def confirm(self, request: Request, pk=None) -> Response:
        data = OptionalReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doctor = services.confirm_doctor(
            doctor=self.get_object(), confirmed_by=request.user, **data.validated_data
        )
        return Response(DoctorSerializer(self._reload(doctor)).data)

    @extend_schema(
        summary="Reject a doctor (platform admins)",
        description=(
            "Refuses or withdraws the confirmation: the doctor leaves (or never joins) the "
            "directory and cannot publish slots. They are emailed the reason."
        ),
        tags=TAGS,
        request=ReasonSerializer,
        responses={
            200: DoctorSerializer,
            409: error_response(
                "DoctorRejectConflict", "Already rejected.", "doctor_already_rejected"
            ),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def reject(self, request: Request, pk=None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doctor = services.reject_doctor(
            doctor=self.get_object(), rejected_by=request.user, **data.validated_data
        )
        return Response(DoctorSerializer(self._reload(doctor)).data)

    def _own_profile(self, request: Request) -> Doctor:
        doctor = doctors_visible_to(request.user).filter(user=request.user).first()
        if doctor is None:
            raise NotFound("You have no doctor profile.")
        return doctor

    def _reload(self, doctor: Doctor) -> Doctor:
        return doctors_visible_to(self.request.user).get(pk=doctor.pk)

    def _update(self, request: Request, doctor: Doctor) -> Response:
        data = DoctorUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        doctor = services.update_doctor_profile(
            doctor=doctor, changed_by=request.user, **data.validated_data
        )
        return Response(DoctorSerializer(self._reload(doctor)).data)

from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import any_role, is_platform_admin
from common.client_ip import client_ip
from common.schema import error_response
from common.serializers import UUID_PATTERN
from doctors.models import Doctor
from doctors.selectors import own_doctor_profile
from patients.models import Patient
from patients.selectors import own_patient_profile, patients_visible_to

from . import services
from .filters import AccessLogFilter, HistoryEntryFilter
from .models import AccessAction, PatientHistoryEntry, RecordAccessLog
from .permissions import CanReadAccessLog, IsTreatingDoctor
from .selectors import (
    access_log_of,
    history_entries_readable_by,
    history_of,
    patients_with_history_readable_by,
)
from .serializers import (
    BreakGlassInputSerializer,
    BreakGlassSerializer,
    HistoryEntryInputSerializer,
    HistoryEntrySerializer,
    RecordAccessLogSerializer,
)

TAGS = ["records"]
IsPatient = any_role(Role.PATIENT)
IsDoctor = any_role(Role.DOCTOR)
PATIENT_ID = OpenApiParameter(
    "patient_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The patient's id"
)
ENTRY_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The history entry's id"
)
WHO_READS = (
    "The patient reads their own history, and a guardian their dependents' (docs/families.md); "
    "a doctor reads the history of a patient they have "
    "or had a booked, completed or no-show appointment with, or holds open emergency access "
    "to (`POST /patients/{patient_id}/break-glass/`). Anyone else, clinic and platform admins "
    "included, gets 404. Every read is written to the record's access log."
)


class NoStoreMixin:
    """Medical data: no browser or proxy may keep any response of these views, errors too."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


def _access(request: Request) -> services.AccessContext:
    return services.access_context(
        user=request.user,
        client_ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


class LoggedHistoryListMixin:
    """A page of a patient's history, logged with exactly the entries on that page. The view
    names the patient with `_patient()` and scopes `get_queryset()` to them."""

    def _patient(self) -> Patient:
        raise NotImplementedError

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer(page, many=True).data
        patient = self._patient()
        services.log_record_access(
            access=_access(request),
            patient=patient,
            action=AccessAction.LIST,
            entries=page,
            break_glass_id=getattr(patient, "break_glass_id", None),
        )
        return self.get_paginated_response(data)


@extend_schema_view(
    list=extend_schema(
        summary="List a patient's medical history",
        description=f"Newest first. {WHO_READS}",
        tags=TAGS,
        parameters=[PATIENT_ID],
    )
)
@extend_validation_errors(
    ["appointment_mismatch", "appointment_cancelled"],
    field_name="appointment",
    actions=["create", "amend"],
)
@extend_validation_errors(["invalid_icd10"], field_name="icd10_code", actions=["create", "amend"])
@extend_validation_errors(["amends_other_patient"], field_name="amends", actions=["amend"])
class PatientHistoryViewSet(NoStoreMixin, LoggedHistoryListMixin, viewsets.GenericViewSet):
    """A patient's medical history: read, add, amend. Never update or delete (405)."""

    serializer_class = HistoryEntrySerializer
    permission_classes = [IsAuthenticated]
    filterset_class = HistoryEntryFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    lookup_value_regex = UUID_PATTERN

    def get_permissions(self):
        if self.action in ("create", "amend"):
            return [IsAuthenticated(), IsTreatingDoctor()]
        return super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PatientHistoryEntry.objects.none()
        return history_of(self._patient())

    def _patient(self) -> Patient:
        """The patient in the URL: 404 unless the caller may read their history, then the
        action's own check (403 for the patient trying to write)."""
        if not hasattr(self, "_patient_cache"):
            patient = get_object_or_404(
                patients_with_history_readable_by(self.request.user), pk=self.kwargs["patient_id"]
            )
            self.check_object_permissions(self.request, patient)
            self._patient_cache = patient
        return self._patient_cache

    def _author(self) -> Doctor:
        return own_doctor_profile(self.request.user, refusal=PermissionDenied)

    def _created(self, patient: Patient, entry: PatientHistoryEntry) -> Response:
        body = HistoryEntrySerializer(history_of(patient).get(pk=entry.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Get an entry of a patient's medical history",
        description=WHO_READS,
        tags=TAGS,
        parameters=[PATIENT_ID, ENTRY_ID],
        responses={200: HistoryEntrySerializer},
    )
    def retrieve(self, request: Request, patient_id=None, pk=None) -> Response:
        patient = self._patient()
        entry = get_object_or_404(history_of(patient), pk=pk)
        services.log_record_access(
            access=_access(request),
            patient=patient,
            action=AccessAction.READ,
            entries=[entry],
            break_glass_id=patient.break_glass_id,
        )
        return Response(HistoryEntrySerializer(entry).data)

    @extend_schema(
        summary="Add an entry to a patient's medical history (treating doctor)",
        description=(
            "Only a doctor with a booked, completed or no-show appointment with the patient "
            "(403 for the patient, 404 for everyone else). A prescription needs medication, "
            "dosage, frequency, duration and instructions; other types must leave them out. "
            "`appointment`, if given, is a non-cancelled appointment between you and the "
            "patient. The write and its access-log row are one transaction."
        ),
        tags=TAGS,
        parameters=[PATIENT_ID],
        request=HistoryEntryInputSerializer,
        responses={201: HistoryEntrySerializer},
    )
    def create(self, request: Request, patient_id=None) -> Response:
        patient = self._patient()
        data = HistoryEntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.add_history_entry(
            author=self._author(), patient=patient, access=_access(request), **data.validated_data
        )
        return self._created(patient, entry)

    @extend_schema(
        summary="Amend an entry (treating doctor): a new entry correcting it",
        description=(
            "Entries are never changed. The correction is a new, complete entry whose `amends` "
            "is the entry in the URL, which must be in this patient's history (400 "
            "`amends_other_patient` for another patient's entry). Same rules as adding."
        ),
        tags=TAGS,
        parameters=[PATIENT_ID, ENTRY_ID],
        request=HistoryEntryInputSerializer,
        responses={201: HistoryEntrySerializer},
    )
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, patient_id=None, pk=None) -> Response:
        patient = self._patient()
        original = get_object_or_404(history_entries_readable_by(request.user), pk=pk)
        data = HistoryEntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.amend_history_entry(
            amends=original,
            author=self._author(),
            patient=patient,
            access=_access(request),
            **data.validated_data,
        )
        return self._created(patient, entry)


@extend_schema_view(
    get=extend_schema(
        summary="My medical history (patients)",
        description="Newest first, with the same filters as a patient's history. Logged.",
        tags=TAGS,
    )
)
class MyHistoryView(NoStoreMixin, LoggedHistoryListMixin, generics.ListAPIView):
    serializer_class = HistoryEntrySerializer
    permission_classes = [IsAuthenticated, IsPatient]
    filterset_class = HistoryEntryFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PatientHistoryEntry.objects.none()
        return history_of(self._patient())

    def _patient(self) -> Patient:
        if not hasattr(self, "_patient_cache"):
            self._patient_cache = own_patient_profile(self.request.user)
        return self._patient_cache


@extend_schema_view(
    get=extend_schema(
        summary="Who read or wrote a patient's medical history",
        description=(
            "Newest first. For the patient themself and for platform admins' audits (403 for a "
            "treating doctor, 404 for anyone else). Metadata only: who, which action, which "
            "entry ids, when, and for emergency access (`break_glass`) the doctor's reason and "
            "its end; the IP address and user agent are shown to platform admins only. Reading "
            "this log is itself logged (`read_access_log`), after the page is read."
        ),
        tags=TAGS,
        parameters=[PATIENT_ID],
    )
)
class AccessLogView(NoStoreMixin, generics.ListAPIView):
    serializer_class = RecordAccessLogSerializer
    permission_classes = [IsAuthenticated, CanReadAccessLog]
    filterset_class = AccessLogFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RecordAccessLog.objects.none()
        return access_log_of(self._patient())

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        services.log_record_access(
            access=_access(request),
            patient=self._patient(),
            action=AccessAction.READ_ACCESS_LOG,
            entries=[],
        )
        return response

    def _patient(self) -> Patient:
        """404 unless the caller may see the patient at all; 403 for those who may see them
        but not their access log (a treating doctor)."""
        if not hasattr(self, "_patient_cache"):
            patient = get_object_or_404(
                patients_visible_to(self.request.user), pk=self.kwargs["patient_id"]
            )
            self.check_object_permissions(self.request, patient)
            self._patient_cache = patient
        return self._patient_cache

    def get_serializer_context(self) -> dict:
        show_network = is_platform_admin(self.request.user)
        return super().get_serializer_context() | {"show_network": show_network}


class BreakGlassView(NoStoreMixin, generics.GenericAPIView):
    serializer_class = BreakGlassSerializer
    permission_classes = [IsAuthenticated, IsDoctor]
    filter_backends = []

    @extend_schema(
        summary="Open emergency access to a patient's history (doctors)",
        description=(
            "Break-glass access for a confirmed doctor who does not treat the patient: with a "
            "reason, it opens read access to the patient's history (list and entries, not "
            "writing) for `BREAK_GLASS_MINUTES` (default 60); after `expires_at` the history "
            "is a 404 again. The opening, its reason, and every read under it are in the "
            "patient's access log. Other roles and unconfirmed doctors get 403; a patient id "
            "that is unknown or inactive, 404; a treating doctor, who needs no emergency "
            "access, 409 `already_has_access`."
        ),
        tags=TAGS,
        parameters=[PATIENT_ID],
        request=BreakGlassInputSerializer,
        responses={
            201: BreakGlassSerializer,
            409: error_response(
                "BreakGlassConflict", "You already treat this patient.", "already_has_access"
            ),
        },
    )
    def post(self, request: Request, patient_id=None) -> Response:
        doctor = self._confirmed_doctor()
        patient = get_object_or_404(
            Patient.objects.filter(user__is_active=True), pk=self.kwargs["patient_id"]
        )
        data = BreakGlassInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.open_break_glass(
            doctor=doctor, patient=patient, access=_access(request), **data.validated_data
        )
        return Response(BreakGlassSerializer(grant).data, status=status.HTTP_201_CREATED)

    def _confirmed_doctor(self) -> Doctor:
        doctor = Doctor.objects.filter(user=self.request.user, is_confirmed=True).first()
        if doctor is None:
            raise PermissionDenied("Only a confirmed doctor may open emergency access.")
        return doctor

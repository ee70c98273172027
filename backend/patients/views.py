from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .filters import PatientFilter
from .models import Patient
from .permissions import IsPatientSelfForWrites
from .selectors import own_patient_profile, patients_visible_to
from .serializers import PatientSerializer, PatientUpdateSerializer
from .services import update_patient_profile

TAGS = ["patients"]


@extend_schema_view(
    list=extend_schema(
        summary="List patients",
        description=(
            "A patient sees only themselves; a doctor sees the patients who have booked with "
            "them; a platform admin sees everyone. Clinic admins see nobody."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get a patient", tags=TAGS),
    partial_update=extend_schema(
        summary="Update a patient profile (the patient only)",
        tags=TAGS,
        request=PatientUpdateSerializer(partial=True),
        responses={200: PatientSerializer},
    ),
)
class PatientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PatientSerializer
    permission_classes = [IsAuthenticated, IsPatientSelfForWrites]
    filterset_class = PatientFilter
    ordering_fields = ["created_at", "user__last_name", "date_of_birth"]
    ordering = ["user__last_name", "user__first_name"]

    def get_queryset(self):
        return patients_visible_to(self.request.user)

    def partial_update(self, request: Request, pk=None) -> Response:
        patient = self.get_object()
        return self._update(request, patient)

    @extend_schema(summary="My patient profile", tags=TAGS, responses={200: PatientSerializer})
    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request: Request) -> Response:
        return Response(PatientSerializer(self._own_profile(request)).data)

    @extend_schema(
        summary="Update my patient profile",
        tags=TAGS,
        request=PatientUpdateSerializer(partial=True),
        responses={200: PatientSerializer},
    )
    @me.mapping.patch
    def update_me(self, request: Request) -> Response:
        return self._update(request, self._own_profile(request))

    def _own_profile(self, request: Request) -> Patient:
        return own_patient_profile(request.user)

    def _update(self, request: Request, patient: Patient) -> Response:
        data = PatientUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        patient = update_patient_profile(patient=patient, **data.validated_data)
        return Response(PatientSerializer(patient).data)

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import IsPlatformAdmin, any_role
from common.schema import error_response
from patients.selectors import own_patient_profile

from . import services
from .filters import PointsTransactionFilter
from .selectors import balance_of, transactions_visible_to
from .serializers import AdjustmentSerializer, BalanceSerializer, PointsTransactionSerializer

TAGS = ["points"]
SeesLedger = any_role(Role.PATIENT, Role.PLATFORM_ADMIN)


@extend_schema_view(
    list=extend_schema(
        summary="Points ledger",
        description="A patient's own ledger, newest first; platform admins see all (`patient`).",
        tags=TAGS,
    )
)
class PointsViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PointsTransactionSerializer
    permission_classes = [IsAuthenticated, SeesLedger]
    filterset_class = PointsTransactionFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return transactions_visible_to(self.request.user)

    def get_permissions(self):
        if self.action == "adjust":
            return [IsAuthenticated(), IsPlatformAdmin()]
        if self.action == "balance":
            return [IsAuthenticated(), any_role(Role.PATIENT)()]
        return super().get_permissions()

    @extend_schema(summary="My points balance", tags=TAGS, responses={200: BalanceSerializer})
    @action(detail=False, methods=["get"])
    def balance(self, request: Request) -> Response:
        patient = own_patient_profile(request.user)
        return Response(
            {
                "balance": balance_of(patient),
                "points_for_free_booking": settings.POINTS_FOR_FREE_BOOKING,
                "points_per_completed_appointment": settings.POINTS_PER_COMPLETED_APPOINTMENT,
            }
        )

    @extend_schema(
        summary="Adjust a patient's points (platform admins)",
        description="Adds (positive) or removes (negative) points with a reason.",
        tags=TAGS,
        request=AdjustmentSerializer,
        responses={
            201: PointsTransactionSerializer,
            409: error_response(
                "PointsAdjustmentConflict",
                "It would make the balance negative.",
                "insufficient_points",
            ),
        },
    )
    @action(detail=False, methods=["post"], url_path="adjustments")
    def adjust(self, request: Request) -> Response:
        data = AdjustmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.adjust_points(**data.validated_data, actor=request.user)
        return Response(PointsTransactionSerializer(entry).data, status=status.HTTP_201_CREATED)

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsPlatformAdmin
from common.schema import error_response

from . import services
from .filters import AssociationFilter, ClinicFilter
from .models import Clinic
from .permissions import (
    CanChangeClinic,
    CanManageAssociation,
    IsTheInvitedDoctor,
    may_manage_clinic,
)
from .selectors import associations_visible_to, clinic_admins, clinics_visible_to
from .serializers import (
    AssociationEndSerializer,
    AssociationInputSerializer,
    AssociationSerializer,
    ClinicAdminInputSerializer,
    ClinicAdminSerializer,
    ClinicInputSerializer,
    ClinicSerializer,
)

TAGS = ["clinics"]
USER_ID = OpenApiParameter("user_id", str, OpenApiParameter.PATH, description="User id (UUID)")


@extend_schema_view(
    list=extend_schema(
        summary="List clinics",
        description="Active clinics; platform admins see inactive ones too.",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get a clinic", tags=TAGS),
    create=extend_schema(
        summary="Create a clinic (platform admins)",
        tags=TAGS,
        request=ClinicInputSerializer,
        responses={201: ClinicSerializer},
    ),
    partial_update=extend_schema(
        summary="Update a clinic (its admins or platform admins)",
        tags=TAGS,
        request=ClinicInputSerializer(partial=True),
        responses={200: ClinicSerializer},
    ),
    destroy=extend_schema(
        summary="Deactivate a clinic (platform admins)",
        description="Clinics are never deleted; they disappear from the directory.",
        tags=TAGS,
        responses={204: None},
    ),
)
class ClinicViewSet(viewsets.ModelViewSet):
    serializer_class = ClinicSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_classes = [IsAuthenticated, CanChangeClinic]
    filterset_class = ClinicFilter
    ordering_fields = ["name", "city", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return clinics_visible_to(self.request.user)

    def get_permissions(self):
        if self.action in ("create", "destroy", "activate", "add_admin", "remove_admin"):
            return [IsAuthenticated(), IsPlatformAdmin()]
        return super().get_permissions()

    def create(self, request: Request) -> Response:
        data = ClinicInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clinic = services.create_clinic(**data.validated_data)
        return Response(ClinicSerializer(clinic).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        clinic = self.get_object()
        data = ClinicInputSerializer(clinic, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        clinic = services.update_clinic(clinic=clinic, **data.validated_data)
        return Response(ClinicSerializer(clinic).data)

    def destroy(self, request: Request, pk=None) -> Response:
        services.set_clinic_active(clinic=self.get_object(), is_active=False)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Reactivate a clinic (platform admins)",
        tags=TAGS,
        request=None,
        responses={200: ClinicSerializer},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk=None) -> Response:
        clinic = services.set_clinic_active(clinic=self.get_object(), is_active=True)
        return Response(ClinicSerializer(clinic).data)

    @extend_schema(
        summary="List a clinic's admins (its admins or platform admins)",
        tags=TAGS,
        responses={200: ClinicAdminSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def admins(self, request: Request, pk=None) -> Response:
        clinic = self.get_object()
        if not may_manage_clinic(request.user, clinic):
            raise PermissionDenied("Only this clinic's admins or a platform admin may see them.")
        page = self.paginate_queryset(clinic_admins(clinic))
        return self.get_paginated_response(ClinicAdminSerializer(page, many=True).data)

    @extend_schema(
        summary="Make a user admin of this clinic (platform admins)",
        description="Grants the clinic_admin role and the permission on this clinic together.",
        tags=TAGS,
        request=ClinicAdminInputSerializer,
        responses={201: ClinicAdminSerializer},
    )
    @admins.mapping.post
    def add_admin(self, request: Request, pk=None) -> Response:
        clinic = self.get_object()
        data = ClinicAdminInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.assign_clinic_admin(
            clinic=clinic, user=data.validated_data["user"], granted_by=request.user
        )

        return Response(ClinicAdminSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a clinic admin (platform admins)",
        tags=TAGS,
        parameters=[USER_ID],
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["delete"], url_path=r"admins/(?P<user_id>[0-9a-f-]{36})")
    def remove_admin(self, request: Request, pk=None, user_id=None) -> Response:
        clinic = self.get_object()
        user = get_object_or_404(clinic_admins(clinic), pk=user_id)
        services.remove_clinic_admin(clinic=clinic, user=user, removed_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List doctor-clinic associations",
        description=(
            "Active associations of listed doctors for everyone; a doctor also sees all of their "
            "own; a clinic admin all of their clinic's; platform admins all."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get a doctor-clinic association", tags=TAGS),
)
class AssociationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AssociationSerializer
    permission_classes = [IsAuthenticated, CanManageAssociation]
    filterset_class = AssociationFilter
    ordering_fields = ["started_on", "ended_on"]
    ordering = ["-started_on"]

    def get_queryset(self):
        return associations_visible_to(self.request.user)

    def get_permissions(self):
        if self.action in ("accept", "decline"):
            return [IsAuthenticated(), IsTheInvitedDoctor()]
        return super().get_permissions()

    @extend_schema(
        summary="Add a doctor to a clinic (the clinic's admins or platform admins)",
        description=(
            "An invitation: the association is `pending` until the doctor accepts it (they are "
            "emailed). Until then the doctor is not listed at the clinic, cannot publish slots "
            "there, and the clinic's admins cannot act on their appointments."
        ),
        tags=TAGS,
        request=AssociationInputSerializer,
        responses={201: AssociationSerializer},
    )
    def create(self, request: Request) -> Response:
        data = AssociationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clinic: Clinic = data.validated_data["clinic"]
        if not may_manage_clinic(request.user, clinic):
            raise PermissionDenied("Only this clinic's admins or a platform admin may add doctors.")
        association = services.create_association(**data.validated_data, created_by=request.user)
        return Response(
            AssociationSerializer(self.get_queryset().get(pk=association.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Accept a clinic's invitation (the doctor it names)",
        description=(
            "The pending association becomes active: the doctor is listed at the clinic, may "
            "publish slots there, and its admins manage their appointments there."
        ),
        tags=TAGS,
        request=None,
        responses={
            200: AssociationSerializer,
            409: error_response(
                "AssociationNotPending", "Not waiting for an answer.", "association_not_pending"
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        association = services.accept_association(association=self.get_object())
        return Response(AssociationSerializer(self.get_queryset().get(pk=association.pk)).data)

    @extend_schema(
        summary="Decline a clinic's invitation (the doctor it names)",
        description="The association ends without ever having been active.",
        tags=TAGS,
        request=None,
        responses={
            200: AssociationSerializer,
            409: error_response(
                "AssociationNotPendingToDecline",
                "Not waiting for an answer.",
                "association_not_pending",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk=None) -> Response:
        association = services.decline_association(
            association=self.get_object(), declined_by=request.user
        )
        return Response(AssociationSerializer(self.get_queryset().get(pk=association.pk)).data)

    @extend_schema(
        summary="End an association (the clinic's admins or platform admins)",
        description=(
            "The row is kept with its end date. Ending a pending association withdraws the "
            "invitation."
        ),
        tags=TAGS,
        request=AssociationEndSerializer,
        responses={
            200: AssociationSerializer,
            409: error_response("AssociationEnded", "Already ended.", "association_ended"),
        },
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk=None) -> Response:
        association = self.get_object()
        data = AssociationEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        association = services.end_association(
            association=association, ended_by=request.user, **data.validated_data
        )
        return Response(AssociationSerializer(self.get_queryset().get(pk=association.pk)).data)

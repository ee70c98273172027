from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from common.permissions import IsPlatformAdmin
from common.schema import error_response

from . import services
from .serializers import RoleInputSerializer, UserRoleSerializer

TAGS = ["admin"]
ROLE = OpenApiParameter(
    "role", str, OpenApiParameter.PATH, enum=Role.values, description="The role to revoke"
)


class PlatformAdminView(APIView):
    permission_classes = [IsAuthenticated, IsPlatformAdmin]


class UserRolesView(PlatformAdminView):
    @extend_schema(
        summary="List a user's roles (platform admins)",
        tags=TAGS,
        responses={200: UserRoleSerializer(many=True)},
    )
    def get(self, request: Request, user_id) -> Response:
        user = get_object_or_404(User, pk=user_id)
        return Response(UserRoleSerializer(user.roles.order_by("role"), many=True).data)

    @extend_schema(
        summary="Grant a role (platform admins)",
        description=(
            "Patient and doctor roles need the matching profile. To make someone admin of a "
            "clinic use `POST /clinics/{id}/admins/`."
        ),
        tags=TAGS,
        request=RoleInputSerializer,
        responses={
            201: UserRoleSerializer(many=True),
            409: error_response("RoleProfileMissing", "No matching profile.", "profile_missing"),
        },
    )
    def post(self, request: Request, user_id) -> Response:
        user = get_object_or_404(User, pk=user_id)
        data = RoleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.grant_user_role(
            user=user, role=data.validated_data["role"], granted_by=request.user
        )
        roles = user.roles.order_by("role")
        return Response(UserRoleSerializer(roles, many=True).data, status=status.HTTP_201_CREATED)


class UserRoleDetailView(PlatformAdminView):
    @extend_schema(
        summary="Revoke a role (platform admins)",
        description="Revoking clinic_admin also removes the user from every clinic they run.",
        tags=TAGS,
        parameters=[ROLE],
        responses={204: None},
    )
    def delete(self, request: Request, user_id, role: str) -> Response:
        user = get_object_or_404(User, pk=user_id)
        get_object_or_404(user.roles, role=role)
        services.revoke_user_role(user=user, role=role)
        return Response(status=status.HTTP_204_NO_CONTENT)

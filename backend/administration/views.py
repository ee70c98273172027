from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.permissions import IsPlatformAdmin
from accounts.serializers import AccountSerializer
from audit.serializers import ReasonSerializer
from common.schema import error_response
from common.serializers import UUID_PATTERN

from . import services
from .filters import AdminActionFilter, UserFilter
from .selectors import admin_actions, failed_tasks_for_admin, users_for_admin
from .serializers import (
    AdminActionLogSerializer,
    FailedTaskSerializer,
    RoleInputSerializer,
    UserRoleSerializer,
)

TAGS = ["admin"]
STATE_CONFLICT = error_response(
    "UserStateConflict",
    "Already in that state, or your own account.",
    "already_in_state",
    "cannot_deactivate_self",
)
ROLE = OpenApiParameter(
    "role", str, OpenApiParameter.PATH, enum=Role.values, description="The role to revoke"
)


class PlatformAdminView(APIView):
    permission_classes = [IsAuthenticated, IsPlatformAdmin]


class UserRolesView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsPlatformAdmin]
    filter_backends = []
    serializer_class = RoleInputSerializer  # what OPTIONS describes: the grant's input

    @extend_schema(
        summary="List a user's roles (platform admins)",
        tags=TAGS,
        responses={200: UserRoleSerializer(many=True)},
    )
    def get(self, request: Request, user_id) -> Response:
        user = get_object_or_404(User, pk=user_id)
        page = self.paginate_queryset(user.roles.order_by("role"))
        return self.get_paginated_response(UserRoleSerializer(page, many=True).data)

    @extend_schema(
        summary="Grant a role (platform admins)",
        description=(
            "Answers with the granted role (granting one the user holds is a no-op that "
            "answers with it too). Patient and doctor roles need the matching profile. To make "
            "someone admin of a clinic use `POST /clinics/{id}/admins/`."
        ),
        tags=TAGS,
        request=RoleInputSerializer,
        responses={
            201: UserRoleSerializer,
            409: error_response("RoleProfileMissing", "No matching profile.", "profile_missing"),
        },
    )
    def post(self, request: Request, user_id) -> Response:
        user = get_object_or_404(User, pk=user_id)
        data = RoleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_role = services.grant_user_role(
            user=user, granted_by=request.user, **data.validated_data
        )
        return Response(UserRoleSerializer(user_role).data, status=status.HTTP_201_CREATED)


class UserRoleDetailView(PlatformAdminView):
    @extend_schema(
        summary="Revoke a role (platform admins)",
        description="Revoking clinic_admin also removes the user from every clinic they run.",
        tags=TAGS,
        parameters=[ROLE],
        responses={
            204: None,
            409: error_response(
                "RoleRevokeConflict", "Your own platform admin role.", "cannot_revoke_own_admin"
            ),
        },
    )
    def delete(self, request: Request, user_id, role: str) -> Response:
        user = get_object_or_404(User, pk=user_id)
        get_object_or_404(user.roles, role=role)
        services.revoke_user_role(user=user, role=role, revoked_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List and search users (platform admins)", tags=TAGS),
    retrieve=extend_schema(summary="Get a user (platform admins)", tags=TAGS),
)
class UserAdminViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AccountSerializer
    permission_classes = [IsAuthenticated, IsPlatformAdmin]
    filterset_class = UserFilter
    ordering_fields = ["email", "date_joined", "last_login"]
    ordering = ["email"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return users_for_admin()

    @extend_schema(
        summary="Deactivate a user (platform admins)",
        description=(
            "Tokens stop working at once; future appointments (as patient or doctor) are "
            "cancelled and both parties emailed. Logged with the reason."
        ),
        tags=TAGS,
        request=ReasonSerializer,
        responses={200: AccountSerializer, 409: STATE_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk=None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.deactivate_user(
            user=self.get_object(), actor=request.user, **data.validated_data
        )
        return Response(AccountSerializer(users_for_admin().get(pk=user.pk)).data)

    @extend_schema(
        summary="Reset a user's two-factor sign-in (platform admins)",
        description=(
            "For a lost authenticator app without recovery codes: removes the user's TOTP "
            "device and recovery codes, so their next login asks them to enrol again (when "
            "their role requires it) or signs them in with the password alone. Every session "
            "of theirs ends. Logged with the reason. Not for one's own account."
        ),
        tags=TAGS,
        request=ReasonSerializer,
        responses={
            200: AccountSerializer,
            409: error_response(
                "MfaResetConflict",
                "`mfa_not_enrolled` (nothing to reset) or `cannot_reset_own_mfa` (another "
                "platform admin resets yours).",
                "mfa_not_enrolled",
                "cannot_reset_own_mfa",
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="mfa/reset")
    def mfa_reset(self, request: Request, pk=None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.reset_user_mfa(
            user=self.get_object(), actor=request.user, **data.validated_data
        )
        return Response(AccountSerializer(users_for_admin().get(pk=user.pk)).data)

    @extend_schema(
        summary="Reactivate a user (platform admins)",
        tags=TAGS,
        request=ReasonSerializer,
        responses={200: AccountSerializer, 409: STATE_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk=None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.activate_user(
            user=self.get_object(), actor=request.user, **data.validated_data
        )
        return Response(AccountSerializer(users_for_admin().get(pk=user.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="Admin action log (platform admins)",
        description="Every admin action: who, what, on which target, why, when. Newest first.",
        tags=TAGS,
    )
)
class AdminActionLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AdminActionLogSerializer
    permission_classes = [IsAuthenticated, IsPlatformAdmin]
    filterset_class = AdminActionFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return admin_actions()


@extend_schema_view(
    list=extend_schema(
        summary="Failed background tasks (platform admins)",
        description=(
            "Tasks that failed for good: a permanent error, or a transient one (mail server "
            "down, ...) that outlasted every retry. Each shows its last error; newest first."
        ),
        tags=TAGS,
    )
)
class FailedTaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = FailedTaskSerializer
    permission_classes = [IsAuthenticated, IsPlatformAdmin]
    ordering_fields = ["finished_at", "enqueued_at"]
    ordering = ["-finished_at"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return failed_tasks_for_admin()

    @extend_schema(
        summary="Requeue a failed task (platform admins)",
        description=(
            "Runs the task again as soon as a worker is free, with its attempts counted "
            "afresh. A mail it already delivered is not sent again. Logged."
        ),
        tags=TAGS,
        request=None,
        responses={
            200: FailedTaskSerializer,
            409: error_response(
                "TaskNotFailed", "The task is not failed (any more).", "task_not_failed"
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def requeue(self, request: Request, pk=None) -> Response:
        task = services.requeue_failed_task(task=self.get_object(), actor=request.user)
        return Response(FailedTaskSerializer(task).data)

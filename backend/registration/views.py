"""Registration endpoints: thin views over registration.services."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.views import PublicView

from . import serializers as s
from . import services

TAGS = ["auth"]


def _registration_result(user) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "roles": sorted(role.role for role in user.roles.all()),
        "detail": "Account created. Check your email for the confirmation link.",
    }


class PatientRegistrationView(PublicView):
    throttle_scope = "register"

    @extend_schema(
        summary="Register as a patient",
        description="Creates the account and patient profile and emails a confirmation link.",
        tags=TAGS,
        request=s.PatientRegistrationSerializer,
        responses={201: s.RegistrationResultSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.PatientRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_patient(**data.validated_data)
        return Response(_registration_result(user), status=status.HTTP_201_CREATED)


class DoctorRegistrationView(PublicView):
    throttle_scope = "register"

    @extend_schema(
        summary="Register as a doctor",
        description=(
            "Creates an unconfirmed doctor account. It stays invisible to patients and cannot "
            "publish slots until a platform admin confirms it."
        ),
        tags=TAGS,
        request=s.DoctorRegistrationSerializer,
        responses={201: s.RegistrationResultSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.DoctorRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_doctor(**data.validated_data)
        return Response(_registration_result(user), status=status.HTTP_201_CREATED)

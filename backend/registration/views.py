"""Registration endpoints: thin views over registration.services."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.views import PublicView

from . import serializers as s
from . import services

TAGS = ["auth"]


def _registration_result(registration: services.Registration) -> dict:
    return {
        "email": registration.email,
        "roles": registration.roles,
        "detail": "Check your email: we sent the link that confirms your account.",
    }


class PatientRegistrationView(PublicView):
    throttle_scope = "register"

    @extend_schema(
        summary="Register as a patient",
        description=(
            "Creates the account and patient profile and emails a confirmation link. If the "
            "email already has an account, nothing is created and its owner is emailed "
            "instead; the answer is the same, so it does not reveal which addresses are "
            "registered."
        ),
        tags=TAGS,
        request=s.PatientRegistrationSerializer,
        responses={201: s.RegistrationResultSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.PatientRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.register_patient(**data.validated_data)
        return Response(_registration_result(registration), status=status.HTTP_201_CREATED)


class DoctorRegistrationView(PublicView):
    throttle_scope = "register"

    @extend_schema(
        summary="Register as a doctor",
        description=(
            "Creates an unconfirmed doctor account. It stays invisible to patients and cannot "
            "publish slots until a platform admin confirms it. An email that already has an "
            "account is handled as for patients (same answer, its owner is emailed)."
        ),
        tags=TAGS,
        request=s.DoctorRegistrationSerializer,
        responses={201: s.RegistrationResultSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.DoctorRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.register_doctor(**data.validated_data)
        return Response(_registration_result(registration), status=status.HTTP_201_CREATED)

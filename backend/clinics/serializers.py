from typing import Literal

from rest_framework import serializers

from accounts.models import User
from common.date_windows import ASSOCIATION_DAYS, WindowedDateField
from common.fields import StrictCharField, StrictModelSerializer, StrictRegexField, StrictSlugField
from doctors.models import Doctor

from .models import Clinic, DoctorClinicAssociation


class ClinicSerializer(StrictModelSerializer):
    class Meta:
        model = Clinic
        fields = [
            "id",
            "name",
            "slug",
            "address",
            "city",
            "country",
            "phone",
            "email",
            "timezone",
            "is_active",
            "require_staff_mfa",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ClinicInputSerializer(StrictModelSerializer):
    """Validates clinic fields (IANA time zone, unique slug); the service saves."""

    slug = StrictSlugField(max_length=200, required=False)
    country = StrictRegexField(r"^[A-Z]{2}$", max_length=2, help_text="ISO 3166-1 alpha-2")

    class Meta:
        model = Clinic
        fields = [
            "name",
            "slug",
            "address",
            "city",
            "country",
            "phone",
            "email",
            "timezone",
            "require_staff_mfa",
        ]
        extra_kwargs = {
            "phone": {"required": False},
            "email": {"required": False},
            "require_staff_mfa": {
                "required": False,
                "help_text": "Its admins and doctors must sign in with a second factor.",
            },
        }


class ClinicAdminSerializer(StrictModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name"]
        read_only_fields = fields


class ClinicAdminInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="The user to make clinic admin"
    )


AssociationStatus = Literal["pending", "active", "ended"]


class AssociationSerializer(StrictModelSerializer):
    doctor_name = StrictCharField(source="doctor.user.full_name", read_only=True)
    clinic_name = StrictCharField(source="clinic.name", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="pending: waiting for the doctor to accept; active; ended (or declined)"
    )

    class Meta:
        model = DoctorClinicAssociation
        fields = [
            "id",
            "doctor",
            "doctor_name",
            "clinic",
            "clinic_name",
            "title",
            "status",
            "is_active",
            "started_on",
            "accepted_at",
            "ended_on",
        ]
        read_only_fields = fields

    def get_status(
        self, association: DoctorClinicAssociation
    ) -> Literal["pending", "active", "ended"]:
        if association.is_active:
            return "active"
        return "ended" if association.ended_on is not None else "pending"


class AssociationInputSerializer(serializers.Serializer):
    doctor = serializers.PrimaryKeyRelatedField(queryset=Doctor.objects.all())
    clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.all())
    title = StrictCharField(max_length=100, required=False, default="", allow_blank=True)
    started_on = WindowedDateField(window=ASSOCIATION_DAYS, required=False)


class AssociationEndSerializer(serializers.Serializer):
    ended_on = WindowedDateField(window=ASSOCIATION_DAYS, required=False)

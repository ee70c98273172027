from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinics.models import Clinic, DoctorClinicAssociation
from common.date_windows import WAITLIST_DAYS, WindowedDateField
from common.fields import (
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictUUIDField,
)
from doctors.models import Doctor
from scheduling.serializers import SlotSerializer

from .models import WaitlistEntry, WaitlistOffer


class WaitlistJoinSerializer(serializers.Serializer):
    doctor = serializers.PrimaryKeyRelatedField(
        queryset=Doctor.objects.filter(is_confirmed=True, user__is_active=True)
    )
    clinic = serializers.PrimaryKeyRelatedField(
        queryset=Clinic.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="Only slots at this clinic (one the doctor works at); any clinic if omitted",
    )
    patient = StrictUUIDField(
        required=False,
        help_text="Wait for one of your dependents (`GET /dependents/`); yourself if left out.",
    )
    date_from = WindowedDateField(
        window=WAITLIST_DAYS, required=False, allow_null=True, default=None
    )
    date_to = WindowedDateField(window=WAITLIST_DAYS, required=False, allow_null=True, default=None)
    time_from = serializers.TimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Earliest start, wall-clock time at the clinic",
    )
    time_to = serializers.TimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Latest end, wall-clock time at the clinic",
    )

    def validate(self, attrs):
        if attrs["date_from"] and attrs["date_to"] and attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError(
                {"date_to": "The end date must not be before the start date."},
                code="invalid_range",
            )
        if attrs["time_from"] and attrs["time_to"] and attrs["time_to"] <= attrs["time_from"]:
            raise serializers.ValidationError(
                {"time_to": "The latest end must be after the earliest start."},
                code="invalid_range",
            )
        clinic = attrs["clinic"]
        if clinic is not None:
            works_there = DoctorClinicAssociation.objects.filter(
                doctor=attrs["doctor"], clinic=clinic, is_active=True
            ).exists()
            if not works_there:
                raise serializers.ValidationError(
                    {"clinic": "The doctor does not work at this clinic."},
                    code="not_associated",
                )
        return attrs


class WaitlistOfferSerializer(StrictModelSerializer):
    slot = SlotSerializer(read_only=True)

    class Meta:
        model = WaitlistOffer
        fields = ["id", "slot", "expires_at"]
        read_only_fields = fields


class WaitlistEntrySerializer(StrictModelSerializer):
    doctor_name = StrictCharField(source="doctor.user.full_name")
    clinic_name = StrictCharField(source="clinic.name", allow_null=True, default=None)
    position = serializers.SerializerMethodField(
        help_text="Place in the doctor's queue (1 = next); null unless waiting"
    )
    offer = serializers.SerializerMethodField(
        help_text="The slot held for you now, if any: book it before `expires_at`"
    )

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "patient",
            "doctor",
            "doctor_name",
            "clinic",
            "clinic_name",
            "date_from",
            "date_to",
            "time_from",
            "time_to",
            "status",
            "position",
            "offer",
            "created_at",
            "ended_at",
        ]
        read_only_fields = fields

    def get_position(self, entry: WaitlistEntry) -> int | None:
        if entry.status != "waiting":
            return None
        return entry.ahead + 1

    @extend_schema_field(WaitlistOfferSerializer(allow_null=True))
    def get_offer(self, entry: WaitlistEntry) -> dict | None:
        offers = getattr(entry, "open_offers", [])
        return WaitlistOfferSerializer(offers[0]).data if offers else None


class WaitlistLengthSerializer(StrictModelSerializer):
    doctor = serializers.UUIDField(source="pk", read_only=True)
    doctor_name = StrictCharField(source="user.full_name")
    waiting = StrictIntegerField(help_text="Patients waiting in this doctor's queue")

    class Meta:
        model = Doctor
        fields = ["doctor", "doctor_name", "waiting"]
        read_only_fields = fields

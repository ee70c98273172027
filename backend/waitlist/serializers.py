from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinics.models import Clinic, DoctorClinicAssociation
from common.fields import StrictCharField, StrictIntegerField, StrictModelSerializer
from doctors.models import Doctor
from scheduling.serializers import SlotSerializer

from .models import WaitlistEntry, WaitlistOffer

MAX_WAITLIST_DAYS = 366


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
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=f"At most {MAX_WAITLIST_DAYS} days ahead",
    )
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
        today = timezone.now().date()
        horizon = today + timedelta(days=MAX_WAITLIST_DAYS)
        for name in ("date_from", "date_to"):
            day = attrs[name]
            if day is not None and not (today - timedelta(days=1) <= day <= horizon):
                raise serializers.ValidationError(
                    {name: f"Give a date from today to {MAX_WAITLIST_DAYS} days ahead."},
                    code="out_of_range",
                )
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

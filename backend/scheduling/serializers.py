from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from clinics.models import Clinic
from common.date_windows import SLOT_DAYS, SLOT_TIMES, WindowedDateField, WindowedDateTimeField
from common.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSlugField,
)

from .models import Modality, Slot, SlotHold, VisitType

MAX_TEMPLATE_DAYS = 92
MAX_NOTICE_MINUTES = 60 * 24 * 90
MAX_HORIZON_DAYS = 730


class SlotListSerializer(serializers.ListSerializer):
    """Pages of slots (search, calendars) written row by row without DRF's field tree: the
    same JSON as `SlotSerializer` gives for one slot (tests compare the two in every zone), at
    a fraction of the cost on the hottest read."""

    def to_representation(self, data):
        instant = serializers.DateTimeField()  # UTC with "Z", as the field renders it
        rows = data.all() if hasattr(data, "all") else data
        return [_slot_row(slot, instant.to_representation) for slot in rows]


def _slot_row(slot: Slot, instant) -> dict:
    zone = ZoneInfo(slot.clinic.timezone)
    return {
        "id": str(slot.pk),
        "doctor": str(slot.doctor_id),
        "doctor_name": slot.doctor.user.full_name,
        "specialty": slot.doctor.specialty.slug,
        "clinic": str(slot.clinic_id),
        "clinic_name": slot.clinic.name,
        "city": slot.clinic.city,
        "timezone": slot.clinic.timezone,
        "start": instant(slot.start),
        "end": instant(slot.end),
        "start_local": slot.start.astimezone(zone).isoformat(),
        "end_local": slot.end.astimezone(zone).isoformat(),
        "status": slot.status,
    }


class SlotSerializer(StrictModelSerializer):
    doctor_name = StrictCharField(source="doctor.user.full_name")
    specialty = StrictCharField(source="doctor.specialty.slug")
    clinic_name = StrictCharField(source="clinic.name")
    city = StrictCharField(source="clinic.city")
    timezone = StrictCharField(source="clinic.timezone")
    start_local = serializers.SerializerMethodField(help_text="Start in the clinic's time zone")
    end_local = serializers.SerializerMethodField(help_text="End in the clinic's time zone")

    class Meta:
        model = Slot
        fields = [
            "id",
            "doctor",
            "doctor_name",
            "specialty",
            "clinic",
            "clinic_name",
            "city",
            "timezone",
            "start",
            "end",
            "start_local",
            "end_local",
            "status",
        ]
        read_only_fields = fields
        list_serializer_class = SlotListSerializer

    def get_start_local(self, slot: Slot) -> str:
        return slot.start.astimezone(ZoneInfo(slot.clinic.timezone)).isoformat()

    def get_end_local(self, slot: Slot) -> str:
        return slot.end.astimezone(ZoneInfo(slot.clinic.timezone)).isoformat()


class SlotHoldSerializer(StrictModelSerializer):
    slot = SlotSerializer(read_only=True)

    class Meta:
        model = SlotHold
        fields = ["id", "slot", "source", "held_at", "expires_at"]
        read_only_fields = fields
        extra_kwargs = {
            "source": {"help_text": "`patient`: held by you; `waitlist`: offered to you"},
            "expires_at": {"help_text": "Book before this time, or the slot is free again"},
        }


class SlotCreateSerializer(serializers.Serializer):
    clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.all())
    start = WindowedDateTimeField(window=SLOT_TIMES)
    end = WindowedDateTimeField(window=SLOT_TIMES)


class SlotUpdateSerializer(serializers.Serializer):
    start = WindowedDateTimeField(window=SLOT_TIMES)
    end = WindowedDateTimeField(window=SLOT_TIMES)


class SlotTemplateSerializer(serializers.Serializer):
    clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.all())
    weekdays = serializers.ListField(
        child=StrictIntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text="0 = Monday ... 6 = Sunday",
    )
    start_time = serializers.TimeField(help_text="Daily start, wall-clock time at the clinic")
    end_time = serializers.TimeField(help_text="Daily end, wall-clock time at the clinic")
    slot_minutes = StrictIntegerField(min_value=5, max_value=480)
    break_minutes = StrictIntegerField(min_value=0, max_value=240, default=0)
    date_from = WindowedDateField(window=SLOT_DAYS)
    date_to = WindowedDateField(window=SLOT_DAYS)

    def validate(self, attrs):
        if attrs["end_time"] <= attrs["start_time"]:
            raise serializers.ValidationError(
                {"end_time": "The daily end must be after the daily start."}, code="invalid_range"
            )
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError(
                {"date_to": "date_to is before date_from."}, code="invalid_range"
            )
        if attrs["date_to"] - attrs["date_from"] > timedelta(days=MAX_TEMPLATE_DAYS):
            raise serializers.ValidationError(
                {"date_to": f"A template covers at most {MAX_TEMPLATE_DAYS} days."},
                code="range_too_long",
            )
        if attrs["date_to"] < timezone.localdate() - timedelta(days=1):
            raise serializers.ValidationError(
                {"date_to": "The template is entirely in the past."}, code="date_in_past"
            )
        attrs["weekdays"] = sorted(set(attrs["weekdays"]))
        return attrs


class SlotTemplateResultSerializer(serializers.Serializer):
    created_count = StrictIntegerField()
    skipped_count = StrictIntegerField(help_text="Past times or overlaps with your slots")
    slots = SlotSerializer(many=True)


class VisitTypeSerializer(StrictModelSerializer):
    """A visit type as read and written. `clinic` is given only on creation: a clinic's type
    for all its doctors (its admins create it); without it, the calling doctor's own type."""

    clinic = serializers.PrimaryKeyRelatedField(
        queryset=Clinic.objects.all(),
        required=False,
        allow_null=True,
        help_text="The clinic whose type this is (for all its doctors); null for a doctor's own",
    )
    doctor = serializers.UUIDField(
        source="doctor_id", read_only=True, allow_null=True, help_text="The doctor whose type"
    )
    name = StrictCharField(max_length=120)
    reason_code = StrictSlugField(max_length=64, help_text="A stable code, e.g. first-visit")
    duration_minutes = StrictIntegerField(min_value=5, max_value=480)
    price = StrictDecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text="The consultation fee; the platform's transaction fee is added on top",
    )
    modality = serializers.ChoiceField(choices=Modality.choices)
    buffer_before_minutes = StrictIntegerField(min_value=0, max_value=240, default=0)
    buffer_after_minutes = StrictIntegerField(min_value=0, max_value=240, default=0)
    min_notice_minutes = StrictIntegerField(
        min_value=0, max_value=MAX_NOTICE_MINUTES, default=0, help_text="Booked at least this early"
    )
    horizon_days = StrictIntegerField(
        min_value=1,
        max_value=MAX_HORIZON_DAYS,
        default=90,
        help_text="Booked at most this far ahead",
    )
    new_patients_allowed = StrictBooleanField(default=True)
    phone_number = StrictCharField(
        max_length=32,
        required=False,
        default="",
        allow_blank=True,
        help_text="Phone visits: the number the patient calls",
    )
    is_active = StrictBooleanField(read_only=True)

    class Meta:
        model = VisitType
        fields = [
            "id",
            "doctor",
            "clinic",
            "name",
            "reason_code",
            "duration_minutes",
            "price",
            "modality",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "min_notice_minutes",
            "horizon_days",
            "new_patients_allowed",
            "phone_number",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "doctor", "is_active", "created_at"]

    def to_internal_value(self, data):
        # DRF reads "" as null for a related field; the schema says a UUID or null.
        if isinstance(data, dict) and data.get("clinic") == "":
            raise serializers.ValidationError(
                {"clinic": [ErrorDetail("Must be a valid UUID.", code="invalid")]}
            )
        return super().to_internal_value(data)


class VisitTypeUpdateSerializer(VisitTypeSerializer):
    """The same fields; the owner (`clinic`, `doctor`) never changes."""

    class Meta(VisitTypeSerializer.Meta):
        read_only_fields = ["id", "doctor", "clinic", "is_active", "created_at"]

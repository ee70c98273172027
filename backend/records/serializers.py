import re

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from common.fields import StrictCharField, StrictModelSerializer

from .models import (
    ICD10_PATTERN,
    PRESCRIPTION_FIELDS,
    BreakGlassAccess,
    EntryType,
    PatientHistoryEntry,
    RecordAccessLog,
)


class HistoryAuthorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = StrictCharField(source="user.first_name")
    last_name = StrictCharField(source="user.last_name")
    specialty = StrictCharField(source="specialty.name")


class HistoryEntrySerializer(StrictModelSerializer):
    patient = serializers.UUIDField(source="patient_id")
    author = HistoryAuthorSerializer(help_text="The doctor who wrote the entry")
    appointment = serializers.UUIDField(source="appointment_id", allow_null=True)
    amends = serializers.UUIDField(
        source="amends_id", allow_null=True, help_text="The earlier entry this one corrects"
    )
    amended_by = serializers.PrimaryKeyRelatedField(
        source="amendments",
        many=True,
        read_only=True,
        help_text="Later entries correcting this one, oldest first",
    )

    class Meta:
        model = PatientHistoryEntry
        fields = [
            "id",
            "patient",
            "author",
            "appointment",
            "entry_type",
            "title",
            "details",
            "icd10_code",
            *PRESCRIPTION_FIELDS,
            "amends",
            "amended_by",
            "created_at",
        ]
        read_only_fields = fields


class HistoryEntryInputSerializer(serializers.Serializer):
    """A new entry (or an amendment). The five prescription fields are required for a
    prescription and refused for the other types."""

    entry_type = serializers.ChoiceField(choices=EntryType.choices)
    title = StrictCharField(max_length=200)
    details = StrictCharField(max_length=20000, required=False, default="", allow_blank=True)
    icd10_code = StrictCharField(
        max_length=16,  # longer than any code, so a malformed one gets the format error
        required=False,
        default="",
        allow_blank=True,
        help_text="ICD-10 code, e.g. J45.909 (case-insensitive; stored upper case)",
    )
    appointment = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A non-cancelled appointment between you and this patient",
    )
    medication = StrictCharField(max_length=200, required=False, default="", allow_blank=True)
    dosage = StrictCharField(max_length=100, required=False, default="", allow_blank=True)
    frequency = StrictCharField(max_length=100, required=False, default="", allow_blank=True)
    duration = StrictCharField(max_length=100, required=False, default="", allow_blank=True)
    instructions = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)

    def validate_icd10_code(self, value: str) -> str:
        value = value.upper()
        if value and not re.fullmatch(ICD10_PATTERN, value):
            raise serializers.ValidationError(
                "Enter an ICD-10 code such as J45, J45.909 or S52.521A.", code="invalid_icd10"
            )
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs["entry_type"] == EntryType.PRESCRIPTION:
            errors = {
                name: [ErrorDetail("A prescription needs this field.", code="required")]
                for name in PRESCRIPTION_FIELDS
                if not attrs[name]
            }
        else:
            errors = {
                name: [ErrorDetail("Only a prescription has this field.", code="prescription_only")]
                for name in PRESCRIPTION_FIELDS
                if attrs[name]
            }
        if errors:
            raise serializers.ValidationError(errors)
        attrs["appointment_id"] = attrs.pop("appointment")
        return attrs


class AccessorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = StrictCharField()
    last_name = StrictCharField()


class BreakGlassInputSerializer(serializers.Serializer):
    reason = StrictCharField(
        min_length=10,
        max_length=1000,
        help_text="Why you need this patient's history now. The patient will read it.",
    )


class BreakGlassSerializer(StrictModelSerializer):
    patient = serializers.UUIDField(source="patient_id")
    doctor = serializers.UUIDField(source="doctor_id")

    class Meta:
        model = BreakGlassAccess
        fields = ["id", "patient", "doctor", "reason", "created_at", "expires_at"]
        read_only_fields = fields


class BreakGlassSummarySerializer(StrictModelSerializer):
    class Meta:
        model = BreakGlassAccess
        fields = ["id", "reason", "expires_at"]
        read_only_fields = fields


class RecordAccessLogSerializer(StrictModelSerializer):
    """Metadata only: never titles or contents. The network fields are for platform admins'
    audits; patients see them as null."""

    user = AccessorSerializer(help_text="Who read or wrote the record")
    patient = serializers.UUIDField(source="patient_id")
    entry_ids = serializers.ListField(
        child=serializers.UUIDField(), help_text="The entries read or written"
    )
    ip_address = serializers.SerializerMethodField()
    user_agent = serializers.SerializerMethodField()
    break_glass = BreakGlassSummarySerializer(
        allow_null=True,
        help_text="The emergency access this row opened or was made under, with its reason",
    )

    class Meta:
        model = RecordAccessLog
        fields = [
            "id",
            "user",
            "patient",
            "action",
            "entry_ids",
            "break_glass",
            "ip_address",
            "user_agent",
            "created_at",
        ]
        read_only_fields = fields

    def _show_network(self) -> bool:
        return bool(self.context.get("show_network"))

    def get_ip_address(self, log: RecordAccessLog) -> str | None:
        return log.ip_address if self._show_network() else None

    def get_user_agent(self, log: RecordAccessLog) -> str | None:
        return log.user_agent if self._show_network() else None

from rest_framework import serializers

from common.date_windows import BIRTH_DATES, WindowedDateField
from common.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictModelSerializer,
)

from .models import Gender, Patient


class PatientSerializer(StrictModelSerializer):
    email = StrictEmailField(source="user.email", read_only=True)
    first_name = StrictCharField(source="user.first_name", read_only=True)
    last_name = StrictCharField(source="user.last_name", read_only=True)
    phone = StrictCharField(source="user.phone", read_only=True)
    is_active = StrictBooleanField(source="user.is_active", read_only=True)
    user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "user_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "date_of_birth",
            "gender",
            "address",
            "emergency_contact_name",
            "emergency_contact_phone",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class PatientUpdateSerializer(serializers.Serializer):
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150)
    phone = StrictCharField(max_length=32, allow_blank=True)
    date_of_birth = WindowedDateField(window=BIRTH_DATES)
    gender = serializers.ChoiceField(choices=Gender.choices)
    address = StrictCharField(max_length=255, allow_blank=True)
    emergency_contact_name = StrictCharField(max_length=150, allow_blank=True)
    emergency_contact_phone = StrictCharField(max_length=32, allow_blank=True)

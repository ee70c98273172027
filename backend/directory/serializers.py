from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.fields import StrictCharField, StrictModelSerializer
from doctors.models import Doctor
from doctors.serializers import SpecialtySerializer

from .selectors import next_available


class DoctorClinicSerializer(serializers.Serializer):
    """A clinic the doctor currently works at, as shown on the doctor's profile."""

    association_id = serializers.UUIDField(source="id")
    clinic_id = serializers.UUIDField(source="clinic.id")
    name = StrictCharField(source="clinic.name")
    city = StrictCharField(source="clinic.city")
    country = StrictCharField(source="clinic.country")
    timezone = StrictCharField(source="clinic.timezone")
    title = StrictCharField()


class NextAvailableSerializer(serializers.Serializer):
    """The doctor's first bookable slot (book it with `POST /appointments/ {"slot": slot_id}`)."""

    slot_id = serializers.UUIDField()
    start = serializers.DateTimeField()
    clinic_id = serializers.UUIDField()


class DoctorSerializer(StrictModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    first_name = StrictCharField(source="user.first_name")
    last_name = StrictCharField(source="user.last_name")
    specialty = SpecialtySerializer()
    languages = serializers.SerializerMethodField()
    clinics = DoctorClinicSerializer(source="active_associations", many=True)
    next_available = serializers.SerializerMethodField(
        help_text="The first future slot you can book with this doctor, or null"
    )

    class Meta:
        model = Doctor
        fields = [
            "id",
            "user_id",
            "first_name",
            "last_name",
            "specialty",
            "license_number",
            "bio",
            "languages",
            "consultation_fee",
            "average_rating",
            "review_count",
            "is_confirmed",
            "confirmed_at",
            "rejected_at",
            "clinics",
            "next_available",
        ]
        read_only_fields = fields

    def get_languages(self, doctor: Doctor) -> list[str]:
        return sorted(language.language for language in doctor.languages.all())

    @extend_schema_field(NextAvailableSerializer(allow_null=True))
    def get_next_available(self, doctor: Doctor) -> dict | None:
        slot = next_available(doctor)
        return None if slot is None else NextAvailableSerializer(slot).data

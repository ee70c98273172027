from rest_framework import serializers

from accounts.models import Role
from common.date_windows import BIRTH_DATES, WindowedDateField
from common.fields import StrictCharField, StrictDecimalField, StrictEmailField
from doctors.models import LANGUAGE_CHOICES, Specialty
from patients.models import Gender


class _RegistrationSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(write_only=True, trim_whitespace=False, max_length=128)
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150)
    phone = StrictCharField(max_length=32, required=False, default="", allow_blank=True)
    # No "email taken" check: it would tell anyone which addresses have accounts. The service
    # answers the same for a taken address and emails its owner instead.


class PatientRegistrationSerializer(_RegistrationSerializer):
    date_of_birth = WindowedDateField(window=BIRTH_DATES)
    gender = serializers.ChoiceField(
        choices=Gender.choices, required=False, default=Gender.UNDISCLOSED
    )
    address = StrictCharField(max_length=255, required=False, default="", allow_blank=True)
    emergency_contact_name = StrictCharField(
        max_length=150, required=False, default="", allow_blank=True
    )
    emergency_contact_phone = StrictCharField(
        max_length=32, required=False, default="", allow_blank=True
    )


class DoctorRegistrationSerializer(_RegistrationSerializer):
    license_number = StrictCharField(max_length=64)
    specialty = serializers.SlugRelatedField(slug_field="slug", queryset=Specialty.objects.all())
    bio = StrictCharField(required=False, default="", allow_blank=True, max_length=5000)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGE_CHOICES),
        required=False,
        default=list,
        max_length=20,
    )
    consultation_fee = StrictDecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, default=0
    )


class RegistrationResultSerializer(serializers.Serializer):
    email = StrictEmailField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))
    detail = StrictCharField()

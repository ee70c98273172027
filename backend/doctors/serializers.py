from rest_framework import serializers

from common.fields import StrictCharField, StrictDecimalField, StrictModelSerializer

from .models import LANGUAGE_CHOICES, Specialty


class SpecialtySerializer(StrictModelSerializer):
    class Meta:
        model = Specialty
        fields = ["id", "name", "slug"]


class DoctorUpdateSerializer(serializers.Serializer):
    """What a doctor (or a platform admin) may change on a profile."""

    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150)
    specialty = serializers.SlugRelatedField(slug_field="slug", queryset=Specialty.objects.all())
    bio = StrictCharField(max_length=5000, allow_blank=True)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGE_CHOICES), max_length=20
    )
    consultation_fee = StrictDecimalField(max_digits=10, decimal_places=2, min_value=0)


class SpecialtyInputSerializer(StrictModelSerializer):
    class Meta:
        model = Specialty
        fields = ["name", "slug"]

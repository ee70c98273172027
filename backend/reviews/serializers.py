from rest_framework import serializers

from common.fields import StrictCharField, StrictIntegerField, StrictModelSerializer

from .models import Review


class ReviewDoctorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = StrictCharField(source="user.first_name")
    last_name = StrictCharField(source="user.last_name")


class ReviewSerializer(StrictModelSerializer):
    """A review as anyone may read it: the reviewer is only a first name and an initial."""

    doctor = ReviewDoctorSerializer()
    reviewer = serializers.SerializerMethodField(help_text='First name and initial, e.g. "Pia S."')

    class Meta:
        model = Review
        fields = [
            "id",
            "doctor",
            "reviewer",
            "rating",
            "comment",
            "is_hidden",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_reviewer(self, review: Review) -> str:
        user = review.patient.user
        initial = user.last_name.strip()[:1]
        return f"{user.first_name} {initial}." if initial else user.first_name


class OwnReviewSerializer(ReviewSerializer):
    """A review as its author sees it: with the appointment it is about."""

    appointment = serializers.UUIDField(source="appointment_id")

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "appointment"]
        read_only_fields = fields


class ModeratedReviewSerializer(OwnReviewSerializer):
    """A review as a moderating platform admin sees it."""

    patient = serializers.UUIDField(source="patient_id")
    hidden_by = serializers.UUIDField(source="hidden_by_id", allow_null=True)

    class Meta(OwnReviewSerializer.Meta):
        fields = [
            *OwnReviewSerializer.Meta.fields,
            "patient",
            "hidden_reason",
            "hidden_by",
            "hidden_at",
        ]
        read_only_fields = fields


class ReviewCreateSerializer(serializers.Serializer):
    appointment = serializers.UUIDField(help_text="Your completed appointment")
    rating = StrictIntegerField(min_value=1, max_value=5)
    comment = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)


class ReviewUpdateSerializer(serializers.Serializer):
    rating = StrictIntegerField(min_value=1, max_value=5)
    comment = StrictCharField(max_length=2000, allow_blank=True)


class HideSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, help_text="Why the review is hidden")


class UnhideSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, default="", allow_blank=True)

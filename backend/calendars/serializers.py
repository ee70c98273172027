from rest_framework import serializers

from common.fields import StrictCharField, StrictModelSerializer

from .models import CalendarFeed, FeedRole


class CalendarFeedSerializer(StrictModelSerializer):
    rotated_at = serializers.DateTimeField(
        source="updated_at", help_text="When the current URL was made (creation or rotation)"
    )

    class Meta:
        model = CalendarFeed
        fields = ["id", "role", "created_at", "rotated_at"]
        read_only_fields = fields


class CalendarFeedSecretSerializer(CalendarFeedSerializer):
    """A feed with its URL: answered once, when the feed is created or rotated."""

    url = StrictCharField(
        help_text=(
            "The private subscription URL (no login needed: keep it secret). Shown only now; "
            "rotate to get a new one."
        )
    )

    class Meta(CalendarFeedSerializer.Meta):
        fields = [*CalendarFeedSerializer.Meta.fields, "url"]
        read_only_fields = fields


class CalendarFeedCreateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=FeedRole.choices, help_text="Whose appointments: yours as patient or as doctor"
    )

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that must carry its UTC offset: a naive time is ambiguous."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-03-29T09:00:00+02:00.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                # well formed but impossible (minute 99): DRF's parser reports it as `invalid`
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)

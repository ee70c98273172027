import django_filters

from common.filters import TimeWindowFilterSet

from .models import AccessAction, EntryType, PatientHistoryEntry, RecordAccessLog


class HistoryEntryFilter(TimeWindowFilterSet):
    """`entry_type` (repeatable), `appointment`, and days of `created_at` in the `tz` zone."""

    time_field = "created_at"

    entry_type = django_filters.MultipleChoiceFilter(choices=EntryType.choices)
    appointment = django_filters.UUIDFilter(field_name="appointment")

    class Meta:
        model = PatientHistoryEntry
        fields = ["entry_type", "appointment"]


class AccessLogFilter(TimeWindowFilterSet):
    time_field = "created_at"

    action = django_filters.MultipleChoiceFilter(choices=AccessAction.choices)

    class Meta:
        model = RecordAccessLog
        fields = ["action"]

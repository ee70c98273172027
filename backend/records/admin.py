from django.contrib import admin

from .models import PatientHistoryEntry, RecordAccessLog


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only tables: operators may look, never add, change or delete."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PatientHistoryEntry)
class PatientHistoryEntryAdmin(ReadOnlyAdmin):
    """Metadata only: medical content is read through the API, where every read is logged."""

    list_display = ["created_at", "patient", "author"]
    fields = ["patient", "author", "appointment", "amends", "created_at"]
    readonly_fields = fields
    date_hierarchy = "created_at"


@admin.register(RecordAccessLog)
class RecordAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "patient", "action", "ip_address"]
    list_filter = ["action"]
    raw_id_fields = ["user", "patient"]
    date_hierarchy = "created_at"

from django.contrib import admin

from .models import Review, ReviewModerationEvent


class ReviewModerationEventInline(admin.TabularInline):
    model = ReviewModerationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "reason", "moderator", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Read-only: every write goes through the services, which keep the doctor's average."""

    list_display = ["created_at", "doctor", "patient", "rating", "is_hidden"]
    list_filter = ["is_hidden", "rating"]
    raw_id_fields = ["appointment", "patient", "doctor", "hidden_by"]
    date_hierarchy = "created_at"
    inlines = [ReviewModerationEventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

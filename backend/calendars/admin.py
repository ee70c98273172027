from django.contrib import admin

from .models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "created_at", "updated_at"]
    list_filter = ["role"]
    readonly_fields = ["user", "role", "token_hash", "created_at", "updated_at"]
    search_fields = ["user__email"]

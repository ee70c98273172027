from django.contrib import admin

from .models import IntegrationClient


@admin.register(IntegrationClient)
class IntegrationClientAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "auth_method", "revoked_at", "last_used_at"]
    list_filter = ["auth_method"]
    search_fields = ["name", "clinic__name"]
    exclude = ["secret_hash"]
    readonly_fields = ["secret_hint", "last_used_at", "last_used_ip", "revoked_at"]

    def has_add_permission(self, request) -> bool:
        return False  # created through the API, which makes and shows the secret once

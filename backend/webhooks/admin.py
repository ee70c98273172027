from django.contrib import admin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "clinic", "enabled", "consecutive_failures", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "clinic__name"]
    exclude = ["secret", "previous_secret"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason"]

    def has_add_permission(self, request) -> bool:
        return False  # created through the API, which checks the URL and makes the secret


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "endpoint", "status", "attempt_count", "created_at"]
    list_filter = ["status", "event_type"]
    readonly_fields = ["endpoint", "event_type", "payload", "status", "attempt_count"]

    def has_add_permission(self, request) -> bool:
        return False

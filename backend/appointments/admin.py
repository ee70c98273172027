from django.contrib import admin

from .models import Appointment, PaymentEvent


class PaymentEventInline(admin.TabularInline):
    """Read-only: payment events are append-only and written by the payment service."""

    model = PaymentEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "from_status",
        "to_status",
        "amount",
        "currency",
        "reference",
        "source",
        "actor",
        "provider_event_id",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["start", "patient", "doctor", "clinic", "status", "payment_status"]
    list_filter = ["status", "payment_status", "clinic"]
    raw_id_fields = ["patient", "doctor", "clinic", "slot", "cancelled_by"]
    date_hierarchy = "start"
    readonly_fields = ["consultation_fee", "transaction_fee", "total_amount", "currency"]
    inlines = [PaymentEventInline]

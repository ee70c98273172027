from django.contrib import admin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["start", "patient", "doctor", "clinic", "status", "payment_status"]
    list_filter = ["status", "payment_status", "clinic"]
    raw_id_fields = ["patient", "doctor", "clinic", "slot", "cancelled_by"]
    date_hierarchy = "start"
    readonly_fields = ["consultation_fee", "transaction_fee", "total_amount", "currency"]

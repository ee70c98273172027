from django.contrib import admin

from .models import Slot, SlotHold


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["doctor", "clinic", "start", "end", "status"]
    list_filter = ["status", "clinic"]
    raw_id_fields = ["doctor", "clinic"]
    date_hierarchy = "start"


@admin.register(SlotHold)
class SlotHoldAdmin(admin.ModelAdmin):
    list_display = ["slot", "patient", "source", "held_at", "ends_at", "outcome"]
    list_filter = ["source", "outcome"]
    raw_id_fields = ["slot", "patient"]

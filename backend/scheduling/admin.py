from django.contrib import admin

from .models import Slot


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["doctor", "clinic", "start", "end", "status"]
    list_filter = ["status", "clinic"]
    raw_id_fields = ["doctor", "clinic"]
    date_hierarchy = "start"

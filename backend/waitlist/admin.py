from django.contrib import admin

from .models import WaitlistEntry, WaitlistOffer


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["patient", "doctor", "clinic", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["patient", "doctor", "clinic"]


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(admin.ModelAdmin):
    list_display = ["entry", "slot", "status", "expires_at"]
    list_filter = ["status"]
    raw_id_fields = ["entry", "slot", "hold"]

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import Clinic, DoctorClinicAssociation


@admin.register(Clinic)
class ClinicAdmin(GuardedModelAdmin):
    list_display = ["name", "city", "country", "timezone", "is_active"]
    list_filter = ["is_active", "country"]
    search_fields = ["name", "city"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(DoctorClinicAssociation)
class DoctorClinicAssociationAdmin(admin.ModelAdmin):
    list_display = ["doctor", "clinic", "title", "is_active", "started_on", "ended_on"]
    list_filter = ["is_active"]
    raw_id_fields = ["doctor", "clinic", "created_by", "ended_by"]

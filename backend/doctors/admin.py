from django.contrib import admin

from .models import Doctor, DoctorLanguage, Specialty


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class DoctorLanguageInline(admin.TabularInline):
    model = DoctorLanguage
    extra = 0


@admin.register(Doctor)
class DoctorAdmin(admin.ModelAdmin):
    list_display = ["user", "specialty", "license_number", "is_confirmed", "average_rating"]
    list_filter = ["is_confirmed", "specialty"]
    search_fields = ["user__email", "user__last_name", "license_number"]
    raw_id_fields = ["user", "confirmed_by"]
    readonly_fields = ["average_rating", "review_count", "confirmed_at", "confirmed_by"]
    inlines = [DoctorLanguageInline]

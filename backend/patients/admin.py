from django.contrib import admin

from .models import Guardianship, Patient, ProxyGrant


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["user", "date_of_birth", "gender", "created_at"]
    list_filter = ["gender"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]


@admin.register(Guardianship)
class GuardianshipAdmin(admin.ModelAdmin):
    """Read-only: guardianships change through the dependents endpoints and the claim."""

    list_display = ["guardian", "dependent", "relationship", "access_ends_on", "ended_at"]
    list_filter = ["relationship", "end_reason"]
    list_select_related = ["guardian__user", "dependent__user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProxyGrant)
class ProxyGrantAdmin(admin.ModelAdmin):
    """Read-only: a grant's permissions are written and removed with it by its services."""

    list_display = ["patient", "invited_email", "grantee", "scope", "expires_at", "revoked_at"]
    list_filter = ["scope"]
    list_select_related = ["patient__user", "grantee"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

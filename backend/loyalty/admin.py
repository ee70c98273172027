from django.contrib import admin

from .models import PointsAccount, PointsTransaction


@admin.register(PointsAccount)
class PointsAccountAdmin(admin.ModelAdmin):
    list_display = ["patient", "balance", "updated_at"]
    raw_id_fields = ["patient"]
    readonly_fields = ["balance"]


@admin.register(PointsTransaction)
class PointsTransactionAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only; corrections go through the adjustment endpoint."""

    list_display = ["created_at", "patient", "kind", "amount", "appointment"]
    list_filter = ["kind"]
    raw_id_fields = ["patient", "appointment", "actor"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

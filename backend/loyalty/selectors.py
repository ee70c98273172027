from django.db.models import QuerySet, Sum

from accounts.permissions import is_platform_admin
from patients.models import Patient

from .models import PointsAccount, PointsTransaction


def balance_of(patient: Patient) -> int:
    account = PointsAccount.objects.filter(patient=patient).first()
    return account.balance if account else 0


def ledger_sum(patient: Patient) -> int:
    """The balance recomputed from the ledger (the source of truth)."""
    total = PointsTransaction.objects.filter(patient=patient).aggregate(total=Sum("amount"))
    return total["total"] or 0


def transactions_visible_to(user) -> QuerySet[PointsTransaction]:
    """A patient's own ledger; every ledger for platform admins."""
    transactions = PointsTransaction.objects.select_related("patient__user")
    if not user.is_authenticated:
        return transactions.none()
    if is_platform_admin(user):
        return transactions
    return transactions.filter(patient__user=user)

from django.db.models import QuerySet

from accounts.models import User
from audit.models import AdminActionLog


def users_for_admin() -> QuerySet[User]:
    return User.objects.prefetch_related("roles")


def admin_actions() -> QuerySet[AdminActionLog]:
    return AdminActionLog.objects.select_related("actor")

from django.db.models import QuerySet
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from audit.models import AdminActionLog
from taskqueue.selectors import failed_tasks


def users_for_admin() -> QuerySet[User]:
    return User.objects.prefetch_related("roles")


def admin_actions() -> QuerySet[AdminActionLog]:
    return AdminActionLog.objects.select_related("actor")


def failed_tasks_for_admin() -> QuerySet[DBTaskResult]:
    return failed_tasks()

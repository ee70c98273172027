"""Reads and admin writes on the task queue (django-tasks-db's table): the health figures,
the failed-task list and requeueing."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from .errors import ConflictError


@dataclass(frozen=True)
class QueueHealth:
    ready: int
    oldest_ready_age_seconds: float | None


def queue_health(now: datetime | None = None) -> QueueHealth:
    """How many tasks wait to run now, and how long the oldest has waited since it became
    ready (its enqueue time, or its run-after time for a deferred one). One query, on the
    queue's partial index of READY rows."""
    now = now or timezone.now()
    never = get_date_max()  # django-tasks-db's run_after for "as soon as possible"
    figures = DBTaskResult.objects.ready().aggregate(
        ready=Count("pk"),
        oldest_immediate=Min("enqueued_at", filter=Q(run_after=never)),
        oldest_deferred=Min("run_after", filter=~Q(run_after=never)),
    )
    since = [t for t in (figures["oldest_immediate"], figures["oldest_deferred"]) if t]
    age = max(0.0, (now - min(since)).total_seconds()) if since else None
    return QueueHealth(ready=figures["ready"], oldest_ready_age_seconds=age)


def failed_tasks() -> QuerySet[DBTaskResult]:
    return DBTaskResult.objects.failed().order_by("-finished_at", "id")


class TaskNotFailed(ConflictError):
    default_code = "task_not_failed"
    default_detail = "Only a failed task can be requeued."


def requeue_task(*, task_id) -> DBTaskResult:
    """Make a FAILED task ready to run again at once, with its attempts counted afresh. Its
    idempotency keys are unchanged: a mail it managed to send is not sent again."""
    updated = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        run_after=get_date_max(),
        worker_ids=[],
        started_at=None,
        finished_at=None,
    )
    if not updated:
        raise TaskNotFailed()
    return DBTaskResult.objects.get(pk=task_id)

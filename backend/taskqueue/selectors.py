"""Reads on the task queue (django-tasks-db's table): its health figures and the failed tasks."""

from datetime import datetime

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from common.readiness import QueueHealth


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
    """The dead letters: tasks that gave up, the latest first."""
    return DBTaskResult.objects.failed().order_by("-finished_at", "id")

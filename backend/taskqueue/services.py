"""Writes on the task queue: an admin requeueing a failed task, and the pruning of finished
task rows past their retention (docs/privacy.md)."""

from datetime import datetime

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from common.errors import ConflictError


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


def prune_succeeded_tasks(*, before: datetime) -> int:
    """Task rows that finished successfully before `before`: their arguments hold addresses
    and ids, so they do not stay forever."""
    finished = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=before
    )
    return finished.delete()[0]


def prune_failed_tasks(*, before: datetime) -> int:
    """Dead letters (docs/architecture.md) that failed before `before`: admins had the period
    to requeue them."""
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__lt=before)
    return failed.delete()[0]

"""Admin writes on the task queue: requeueing a failed task."""

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

"""What becomes of a task whose run failed or whose worker vanished: retries, dead letters and
leases (docs/architecture.md, "Background work").

- Retries: a task that fails for a transient reason (the mail server refuses the connection,
  times out, or answers 4xx; a task raising RetryLater) is made READY again after an
  exponential backoff with jitter, up to `TASK_MAX_ATTEMPTS` attempts; `worker_ids`, one entry
  per claim, counts them.
- Dead letters: any other failure, or the last attempt, marks the task FAILED, where platform
  admins see it and can requeue it (taskqueue.services). Nothing is dropped silently.
- Leases: django-tasks-db marks a claimed task RUNNING and nothing ever takes it back. A task
  RUNNING for longer than `TASK_LEASE_SECONDS` is taken back by any worker (its worker died:
  SIGKILL, OOM, a lost machine), and one a worker id left RUNNING is taken back by that id's
  next start at once; each counts as an attempt.
"""

import logging
import random
import smtplib
import socket
from datetime import timedelta
from traceback import format_exception

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from common import metrics

logger = logging.getLogger("careslot.worker")


class LeaseExpired(Exception):
    """The worker that claimed the task stopped reporting before the lease ran out."""


class RetryLater(Exception):
    """Raised by a task that failed for a reason worth another attempt (a webhook receiver's
    5xx, say) which is not an exception of its own: the worker retries it like a transient
    failure."""


def is_transient(exc: BaseException) -> bool:
    """Failures worth another attempt later: the network or the mail server, not our code."""
    if isinstance(exc, RetryLater):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(
        exc, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, socket.gaierror)
    )


def retry_delay(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: doubling from the base, capped, with "equal
    jitter" (half fixed, half random) so failed tasks do not all come back at once."""
    ceiling = min(
        settings.TASK_RETRY_MAX_SECONDS, settings.TASK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not for secrets


def attempts(db_task: DBTaskResult) -> int:
    return len(db_task.worker_ids)


def out_of_attempts(db_task: DBTaskResult) -> bool:
    return attempts(db_task) >= settings.TASK_MAX_ATTEMPTS


def retry_later(db_task: DBTaskResult, exc: BaseException) -> None:
    """READY again after the backoff, with the error of this attempt kept on the row."""
    delay = retry_delay(attempts(db_task))
    db_task.status = TaskResultStatus.READY
    db_task.run_after = timezone.now() + timedelta(seconds=delay)
    db_task.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
    db_task.traceback = "".join(format_exception(exc))
    db_task.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
    metrics.TASK_RUNS.labels(db_task.task_path, "retry").inc()
    logger.warning(
        "Task id=%s attempt %d failed (%s); retrying in %.0fs",
        db_task.id,
        attempts(db_task),
        type(exc).__name__,
        delay,
    )


def give_up(db_task: DBTaskResult, exc: BaseException) -> None:
    """FAILED, a dead letter for the platform admins (django-tasks-db records the error)."""
    db_task.set_failed(exc)
    metrics.TASK_RUNS.labels(db_task.task_path, "failed").inc()
    logger.error("Task id=%s failed after %d attempt(s)", db_task.id, attempts(db_task))


def settle_failed_run(db_task: DBTaskResult, exc: BaseException) -> bool:
    """A run raised `exc`: retry it if the failure is transient and attempts are left, else
    give up. True when the task is FAILED for good."""
    if is_transient(exc) and not out_of_attempts(db_task):
        retry_later(db_task, exc)
        return False
    give_up(db_task, exc)
    return True


def settle_lost_run(db_task: DBTaskResult, exc: BaseException) -> bool:
    """A run that never reported its end (the worker died, or lost the database): another
    attempt whatever the cause, unless none is left. True when the task is FAILED for good."""
    if out_of_attempts(db_task):
        give_up(db_task, exc)
        return True
    retry_later(db_task, exc)
    return False


def recover_own_tasks(*, backend_name: str, worker_id: str) -> list[DBTaskResult]:
    """Take back the tasks RUNNING under `worker_id`, which is between tasks, so none of them is
    running (a claim whose COMMIT was cut, or the previous run of a worker under a stable id).
    Returns them (READY again, or FAILED when out of attempts)."""
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, backend_name=backend_name
    )
    recovered = []
    with exclusive_transaction(running.db):
        for db_task in running.select_for_update(skip_locked=True):
            if db_task.worker_ids[-1:] == [worker_id]:
                exc = LeaseExpired(f"worker {worker_id} restarted during the task")
                settle_lost_run(db_task, exc)
                recovered.append(db_task)
    if recovered:
        logger.warning("Took back %d task(s) this worker id left running", len(recovered))
    return recovered


def recover_expired_leases(*, backend_name: str) -> list[DBTaskResult]:
    """Take back tasks RUNNING past their lease: their worker is gone. Returns them (READY
    again, or FAILED with LeaseExpired when out of attempts)."""
    cutoff = timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    expired = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff, backend_name=backend_name
    )
    recovered = []
    with exclusive_transaction(expired.db):
        for db_task in expired.select_for_update(skip_locked=True):
            exc = LeaseExpired(
                f"worker {db_task.worker_ids[-1] if db_task.worker_ids else '?'} did not "
                f"finish within {settings.TASK_LEASE_SECONDS}s"
            )
            settle_lost_run(db_task, exc)
            recovered.append(db_task)
    if recovered:
        logger.warning("Took back %d task(s) whose lease expired", len(recovered))
    return recovered

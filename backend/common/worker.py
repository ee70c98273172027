"""The task worker: django-tasks-db's worker plus the two things it leaves out.

- Retries: a task that fails for a transient reason (the mail server refuses the connection,
  times out, or answers 4xx) is made ready again after an exponential backoff with jitter, up to
  `TASK_MAX_ATTEMPTS` attempts; any other failure, or the last attempt, marks it FAILED, where
  platform admins see it and can requeue it. Nothing is dropped silently.
- A lease: django-tasks-db marks a claimed task RUNNING and nothing ever takes it back. A worker
  killed mid-task (SIGKILL, OOM, a lost machine) would leave it RUNNING for ever; here a task
  RUNNING for longer than `TASK_LEASE_SECONDS` is taken back by any worker and runs again.

- Database outages: a lost connection (killed, the server restarting) never ends the worker.
  It closes the connection, backs off (doubling from half a second to 10 s, with jitter) and
  reconnects; a task that lost the database mid-run goes back to READY under the retry policy
  above once the database answers again (unless its result was committed before the loss), so
  it is neither lost nor finished twice. A task this worker id claimed but is not running (a
  claim whose COMMIT was cut, or the previous run of a worker under a stable `--worker-id`,
  as supervisord starts it) is taken back at once, without waiting for the lease.

- A graceful stop: SIGTERM (or SIGINT, SIGQUIT) lets the task in hand finish, claims no other
  and exits 0; a second signal stops the task too, which goes back to READY for another worker
  (exit 1). django-tasks-db's handler exits from inside the signal, so a signal landing between
  claiming a task and starting it left the task RUNNING until its lease ran out.

Claiming locks the row (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, an exclusive
transaction on SQLite), so any number of workers can drain one queue.
"""

import logging
import random
import signal
import smtplib
import socket
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from traceback import format_exception

import structlog
from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone
from django_tasks import TaskContext, TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from . import metrics
from .task_backend import task_context
from .tracing import task_span

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


# The worker's reconnection backoff after losing the database: short, since an outage that ends
# should cost little, and capped, so a long one is noticed within seconds of its end.
RECONNECT_BASE_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 10.0


def database_lost(exc: BaseException) -> bool:
    """The connection to the database failed (not a SQLite lock, which waits its turn)."""
    if isinstance(exc, InterfaceError):
        return True
    locked = bool(exc.args) and is_locked_database_exception(exc)
    return isinstance(exc, OperationalError) and not locked


def reconnect_delay(failures: int) -> float:
    ceiling = min(RECONNECT_MAX_SECONDS, RECONNECT_BASE_SECONDS * 2 ** (failures - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not for secrets


def beat() -> None:
    """Mark the worker alive (TASK_WORKER_HEARTBEAT_FILE's time) for a health check."""
    if settings.TASK_WORKER_HEARTBEAT_FILE:
        Path(settings.TASK_WORKER_HEARTBEAT_FILE).touch()


def _record_error(db_task: DBTaskResult, exc: BaseException) -> None:
    db_task.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
    db_task.traceback = "".join(format_exception(exc))


def _retry_later(db_task: DBTaskResult, exc: BaseException, *, now=None) -> None:
    """READY again after the backoff; `worker_ids` keeps counting the attempts."""
    delay = retry_delay(len(db_task.worker_ids))
    db_task.status = TaskResultStatus.READY
    db_task.run_after = (now or timezone.now()) + timedelta(seconds=delay)
    _record_error(db_task, exc)
    db_task.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
    metrics.TASK_RUNS.labels(db_task.task_path, "retry").inc()
    logger.warning(
        "Task id=%s attempt %d failed (%s); retrying in %.0fs",
        db_task.id,
        len(db_task.worker_ids),
        type(exc).__name__,
        delay,
    )


def _give_up(db_task: DBTaskResult, exc: BaseException) -> None:
    db_task.set_failed(exc)
    metrics.TASK_RUNS.labels(db_task.task_path, "failed").inc()
    logger.error("Task id=%s failed after %d attempt(s)", db_task.id, len(db_task.worker_ids))


def _out_of_attempts(db_task: DBTaskResult) -> bool:
    return len(db_task.worker_ids) >= settings.TASK_MAX_ATTEMPTS


def _record_failure(db_task: DBTaskResult, exc: BaseException) -> None:
    if is_transient(exc) and not _out_of_attempts(db_task):
        _retry_later(db_task, exc)
    else:
        _give_up(db_task, exc)


def _retry_or_fail(db_task: DBTaskResult, exc: BaseException) -> None:
    if _out_of_attempts(db_task):
        db_task.set_failed(exc)
    else:
        _retry_later(db_task, exc)


class CareSlotWorker(Worker):
    """Runs tasks like `db_worker`, with retries, a lease and a graceful stop (see the module
    docstring)."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._wake = threading.Event()
        self._database_failures = 0
        self._next_recovery = 0.0

    def shutdown(self, signum: int, frame) -> None:
        if not self.running:
            logger.warning(
                "Received %s again - stopping the current task", signal.strsignal(signum)
            )
            self.reset_signals()
            sys.exit(1)  # run_task puts the task back to READY
        logger.warning(
            "Received %s - finishing the current task, then exiting (send it again to stop the "
            "task too)",
            signal.strsignal(signum),
        )
        self.running = False
        self._wake.set()  # cut the idle wait short

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, self.queue_names)
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spreads workers started together
        while self.running:
            beat()
            close_old_connections()
            try:
                db_task = self.poll()
            except (OperationalError, InterfaceError) as exc:
                if database_lost(exc):
                    self.back_off(exc)
                    continue
                db_task, polled = None, False  # SQLite busy: try again after the interval
            else:
                polled = True
            if db_task is not None:
                self.run_task(db_task)
            if self.batch and polled and db_task is None:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and db_task is None:
                self._wake.wait(self.interval)
        logger.info("Worker worker_id=%s stopped", self.worker_id)

    def poll(self) -> DBTaskResult | None:
        """Take back orphaned tasks when due, then claim the next ready one."""
        if time.monotonic() >= self._next_recovery:
            self.recover_own_tasks()
            self.recover_expired_leases()
            self._next_recovery = time.monotonic() + max(1.0, settings.TASK_LEASE_SECONDS / 4)
        db_task = self.claim_next()
        if self._database_failures:
            logger.warning("Database reachable again; worker_id=%s resumes", self.worker_id)
            self._database_failures = 0
        return db_task

    def back_off(self, exc: BaseException) -> None:
        """Drop the broken connections and wait before trying again; orphans are looked for
        first thing after (a claim may have committed unseen)."""
        self._database_failures += 1
        delay = reconnect_delay(self._database_failures)
        metrics.WORKER_DATABASE_ERRORS.inc()
        logger.warning(
            "Database unavailable (%s: %s); reconnecting in %.1fs",
            type(exc).__name__,
            str(exc).strip().splitlines()[0] if str(exc).strip() else "",
            delay,
        )
        connections.close_all()
        self._next_recovery = 0.0
        beat()  # waiting for the database is alive: a restart would not bring it back
        self._wake.wait(delay)

    def ready_tasks(self):
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        return tasks

    def claim_next(self) -> DBTaskResult | None:
        """Lock the next ready task and mark it RUNNING under this worker's id."""
        tasks = self.ready_tasks()
        with exclusive_transaction(tasks.db):
            db_task = tasks.get_locked()
            if db_task is not None:
                db_task.claim(self.worker_id)
        return db_task

    def recover_own_tasks(self) -> int:
        """Take back the tasks RUNNING under this worker's id: it is between tasks, so none of
        them is running. Each counts as an attempt, like a lease that ran out."""
        running = DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, backend_name=self.backend_name
        )
        recovered = 0
        with exclusive_transaction(running.db):
            for db_task in running.select_for_update(skip_locked=True):
                if db_task.worker_ids and db_task.worker_ids[-1] == self.worker_id:
                    exc = LeaseExpired(f"worker {self.worker_id} restarted during the task")
                    _retry_or_fail(db_task, exc)
                    recovered += 1
        if recovered:
            logger.warning("Took back %d task(s) this worker id left running", recovered)
        return recovered

    def recover_expired_leases(self) -> int:
        """Take back tasks RUNNING past their lease: their worker is gone. Each counts as an
        attempt; one out of attempts is FAILED (LeaseExpired) rather than run again."""
        cutoff = timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS)
        expired = DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff, backend_name=self.backend_name
        )
        recovered = 0
        with exclusive_transaction(expired.db):
            for db_task in expired.select_for_update(skip_locked=True):
                exc = LeaseExpired(
                    f"worker {db_task.worker_ids[-1] if db_task.worker_ids else '?'} did not "
                    f"finish within {settings.TASK_LEASE_SECONDS}s"
                )
                _retry_or_fail(db_task, exc)
                recovered += 1
        if recovered:
            logger.warning("Took back %d task(s) whose lease expired", recovered)
        return recovered

    def run_task(self, db_task: DBTaskResult) -> None:
        """Run one claimed task: SUCCESSFUL, READY again later (transient failure, attempts
        left), or FAILED. Stopped by Ctrl-C or SIGTERM mid-task, it goes back to READY.
        Its log lines carry the enqueuing request's id; its span links to that request's."""
        context = task_context(db_task)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=context.get("request_id"), task_id=str(db_task.id), task=db_task.task_path
        )
        try:
            with task_span(db_task.task_path, str(db_task.id), context):
                self._run_task(db_task)
        finally:
            structlog.contextvars.clear_contextvars()

    def _run_task(self, db_task: DBTaskResult) -> None:
        self.running_task = True
        try:
            task = db_task.task
            task_result = db_task.task_result
            sender = type(task.get_backend())
            task_started.send(sender=sender, task_result=task_result)
            args = task_result.args
            if task.takes_context:
                args = [TaskContext(task_result=task_result), *args]
            return_value = task.call(*args, **task_result.kwargs)
            db_task.set_successful(return_value)
            metrics.TASK_RUNS.labels(db_task.task_path, "succeeded").inc()
            task_finished.send(sender=sender, task_result=db_task.task_result)
        except (KeyboardInterrupt, SystemExit):
            self._hand_back(db_task)
            raise
        except Exception as exc:
            if database_lost(exc):
                self._settle_after_outage(db_task, exc)
                return
            try:
                _record_failure(db_task, exc)
            except (OperationalError, InterfaceError) as lost:
                if not database_lost(lost):
                    raise
                self._settle_after_outage(db_task, exc)
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _hand_back(self, db_task: DBTaskResult) -> None:
        """Stopped mid-task: READY again for another worker, or, with the database gone,
        left RUNNING for this worker id's next start or the lease."""
        db_task.status = TaskResultStatus.READY
        try:
            db_task.save(update_fields=["status"])
        except (OperationalError, InterfaceError):
            logger.warning("Task id=%s left RUNNING: the database is unavailable", db_task.id)

    def _settle_after_outage(self, db_task: DBTaskResult, exc: BaseException) -> None:
        """The task lost the database: once it answers, the task is retried under the usual
        policy, unless its result was committed before the connection went. Stopped while
        waiting, the task stays RUNNING for recover_own_tasks() or the lease."""
        while True:
            self.back_off(exc)
            try:
                with transaction.atomic():
                    current = DBTaskResult.objects.select_for_update().get(pk=db_task.pk)
                    if current.status == TaskResultStatus.RUNNING and current.worker_ids[-1:] == [
                        self.worker_id
                    ]:
                        _retry_or_fail(current, exc)
                return
            except (OperationalError, InterfaceError) as again:
                if not self.running or not database_lost(again):
                    return
                exc = again


def make_worker(*, worker_id: str = "in-process", interval: float = 0.0) -> CareSlotWorker:
    return CareSlotWorker(
        queue_names=["*"],
        interval=interval,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_ready_tasks(*, worker_id: str = "in-process") -> int:
    """Run every task that is ready now, in this process, through the worker's own claim and
    run steps; return how many ran. For tests and one-off draining: it leaves the connection
    and the surrounding transaction alone, which the worker loop does not."""
    worker = make_worker(worker_id=worker_id)
    ran = 0
    while (db_task := worker.claim_next()) is not None:
        worker.run_task(db_task)
        ran += 1
    return ran

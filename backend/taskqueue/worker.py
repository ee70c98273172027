"""The task worker: claims ready tasks of django-tasks-db's table and runs them, with what
django-tasks-db's own `db_worker` leaves out. It is a class of ours built on the library's public
model API (`ready()`, `get_locked()`, `claim()`, `set_successful()`, `set_failed()`) and the
django-tasks signals, not a subclass of its Worker, whose loop and private counters we would
otherwise have to copy and track.

- Retries, dead letters and leases: taskqueue.policy.
- Signals: `task_started` before a run, `task_finished` when a task ends for good, SUCCESSFUL or
  FAILED (a failed run, or a lease taken back from a task out of attempts), as django-tasks-db's
  worker does; a task going back to READY for another attempt is not finished.
- Database outages: a lost connection (killed, the server restarting) never ends the worker.
  It closes the connection, backs off (doubling from half a second to 10 s, with jitter) and
  reconnects; a task that lost the database mid-run goes back to READY under the retry policy
  once the database answers again (unless its result was committed before the loss), so it is
  neither lost nor finished twice. A task this worker id claimed but is not running (a claim
  whose COMMIT was cut, or the previous run of a worker under a stable `--worker-id`, as
  supervisord starts it) is taken back at once, without waiting for the lease.
- A graceful stop: SIGTERM (or SIGINT, SIGQUIT) lets the task in hand finish, claims no other
  and exits 0; a second signal stops the task too, which goes back to READY for another worker
  (exit 1).

Claiming locks the row (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, an exclusive
transaction on SQLite), so any number of workers can drain one queue.
"""

import logging
import random
import signal
import sys
import threading
import time
from pathlib import Path

import structlog
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import close_old_connections, connections, transaction
from django.db.utils import InterfaceError, OperationalError
from django_tasks import TaskContext, TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from common import metrics
from common.tracing import task_span

from . import policy
from .backend import task_context

logger = logging.getLogger("careslot.worker")

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


def send_finished(db_task: DBTaskResult) -> None:
    """django-tasks' `task_finished` for a task that ended for good (SUCCESSFUL or FAILED).
    A receiver that raises is logged: the task's outcome is recorded already, and the worker
    goes on."""
    try:
        sender = type(db_task.task.get_backend())
        task_result = db_task.task_result
    except (ImportError, SuspiciousOperation):  # the task's function is gone: nothing to send
        logger.exception("Task id=%s failed unexpectedly", db_task.id)
        return
    for receiver, outcome in task_finished.send_robust(sender=sender, task_result=task_result):
        if isinstance(outcome, Exception):
            logger.error(
                "task_finished receiver %r raised for task id=%s",
                receiver,
                db_task.id,
                exc_info=outcome,
            )


class CareSlotWorker:
    """Runs the ready tasks of the named queues (`manage.py worker`; see the module docstring).
    The options are `db_worker`'s."""

    def __init__(
        self,
        *,
        queue_names: list[str],
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        max_tasks: int | None,
        worker_id: str,
        excluded_queue_names: list[str],
    ) -> None:
        self.queue_names = queue_names
        self.process_all_queues = "*" in queue_names
        self.excluded_queue_names = excluded_queue_names
        self.interval = interval
        self.batch = batch
        self.backend_name = backend_name
        self.startup_delay = startup_delay
        self.max_tasks = max_tasks
        self.worker_id = worker_id
        self.running = True
        self.tasks_run = 0
        self._wake = threading.Event()
        self._database_failures = 0
        self._next_recovery = 0.0

    def configure_signals(self) -> None:
        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self.shutdown)

    def reset_signals(self) -> None:
        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)

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
            if self.max_tasks is not None and self.tasks_run >= self.max_tasks:
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
        """Take back the tasks RUNNING under this worker's id (policy.recover_own_tasks)."""
        recovered = policy.recover_own_tasks(
            backend_name=self.backend_name, worker_id=self.worker_id
        )
        self._finish_given_up(recovered)
        return len(recovered)

    def recover_expired_leases(self) -> int:
        """Take back tasks RUNNING past their lease (policy.recover_expired_leases)."""
        recovered = policy.recover_expired_leases(backend_name=self.backend_name)
        self._finish_given_up(recovered)
        return len(recovered)

    def _finish_given_up(self, db_tasks: list[DBTaskResult]) -> None:
        for db_task in db_tasks:
            if db_task.status == TaskResultStatus.FAILED:
                send_finished(db_task)

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
                self._run(db_task)
        finally:
            self.tasks_run += 1
            structlog.contextvars.clear_contextvars()

    def _run(self, db_task: DBTaskResult) -> None:
        try:
            task = db_task.task
            task_result = db_task.task_result
            task_started.send(sender=type(task.get_backend()), task_result=task_result)
            args = task_result.args
            if task.takes_context:
                args = [TaskContext(task_result=task_result), *args]
            return_value = task.call(*args, **task_result.kwargs)
            db_task.set_successful(return_value)
            metrics.TASK_RUNS.labels(db_task.task_path, "succeeded").inc()
        except (KeyboardInterrupt, SystemExit):
            self._hand_back(db_task)
            raise
        except Exception as exc:
            if database_lost(exc):
                self._settle_after_outage(db_task, exc)
                return
            try:
                given_up = policy.settle_failed_run(db_task, exc)
            except (OperationalError, InterfaceError) as lost:
                if not database_lost(lost):
                    raise
                self._settle_after_outage(db_task, exc)
                return
            if given_up:
                send_finished(db_task)
            return
        send_finished(db_task)

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
                        policy.settle_lost_run(current, exc)
                    else:
                        current = None
                if current is not None and current.status == TaskResultStatus.FAILED:
                    send_finished(current)
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

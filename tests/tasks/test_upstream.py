"""The task runtime (backend/taskqueue) on django-tasks and django-tasks-db: what it relies on
upstream is pinned here, so a new version that changes it fails these tests rather than the
worker in production; and the django-tasks signals reach their receivers as django-tasks-db's
own worker sends them (issue 33, item 2)."""

import inspect
from datetime import timedelta

import pytest
import structlog
import time_machine
from django.utils import timezone
from django_tasks import TaskResultStatus, task_backends
from django_tasks.signals import task_finished, task_started
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand
from django_tasks_db.models import DBTaskResult

from accounts.services import request_password_reset
from accounts.tasks import send_password_reset_email
from taskqueue.backend import ContextCarryingBackend
from taskqueue.management.commands.worker import Command as WorkerCommand
from taskqueue.worker import make_worker
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reset_task(settings):
    settings.TASK_MAX_ATTEMPTS = 2
    UserFactory(email="signals@example.com")
    request_password_reset(email="signals@example.com")
    return DBTaskResult.objects.get()


@pytest.fixture
def signals():
    """[(signal name, task id, status)] of every task_started and task_finished sent."""
    sent = []

    def started(sender, task_result, **kwargs):
        sent.append(("started", task_result.id, task_result.status))

    def finished(sender, task_result, **kwargs):
        assert sender is ContextCarryingBackend
        sent.append(("finished", task_result.id, task_result.status))

    task_started.connect(started)
    task_finished.connect(finished)
    yield sent
    task_started.disconnect(started)
    task_finished.disconnect(finished)


def test_a_successful_task_sends_started_then_finished(reset_task, use_smtp, run_tasks, signals):
    use_smtp.start()
    assert run_tasks() == 1
    task_id = str(reset_task.pk)
    assert signals == [
        ("started", task_id, TaskResultStatus.RUNNING),
        ("finished", task_id, TaskResultStatus.SUCCESSFUL),
    ]


def test_a_failed_task_sends_finished_and_a_retried_one_does_not(
    reset_task, use_smtp, run_tasks, signals
):
    use_smtp.start()
    use_smtp.mailbox.refuse_with = "451 4.3.0 Mailbox busy, try again later"
    assert run_tasks() == 1
    task_id = str(reset_task.pk)
    assert signals == [("started", task_id, TaskResultStatus.RUNNING)]  # READY again: not over

    use_smtp.mailbox.refuse_with = "554 5.7.1 Message rejected"
    reset_task.refresh_from_db()
    with time_machine.travel(reset_task.run_after + timedelta(seconds=1), tick=False):
        assert run_tasks() == 1
    assert signals[1:] == [
        ("started", task_id, TaskResultStatus.RUNNING),
        ("finished", task_id, TaskResultStatus.FAILED),
    ]


def test_a_lease_taken_back_from_a_task_out_of_attempts_sends_finished(
    reset_task, settings, signals
):
    settings.TASK_MAX_ATTEMPTS = 1
    reset_task.claim("vanished")
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.TASK_LEASE_SECONDS + 1)):
        assert make_worker().recover_expired_leases() == 1
    reset_task.refresh_from_db()
    assert reset_task.status == TaskResultStatus.FAILED
    assert reset_task.exception_class_path == "taskqueue.policy.LeaseExpired"
    assert signals == [("finished", str(reset_task.pk), TaskResultStatus.FAILED)]


def test_a_raising_task_finished_receiver_neither_fails_the_task_nor_stops_the_worker(
    reset_task, use_smtp, run_tasks
):
    def broken(**kwargs):
        raise RuntimeError("a receiver's bug")

    use_smtp.start()
    task_finished.connect(broken)
    try:
        assert run_tasks() == 1
    finally:
        task_finished.disconnect(broken)
    reset_task.refresh_from_db()
    assert reset_task.status == TaskResultStatus.SUCCESSFUL


# What the backend relies on: `enqueue` builds the row through the private `_task_to_db_task`,
# which ours overrides to add the enqueuing context in the same INSERT.


def test_enqueue_builds_the_row_through_task_to_db_task():
    assert list(inspect.signature(DatabaseBackend._task_to_db_task).parameters) == [
        "self",
        "task",
        "args",
        "kwargs",
    ]
    assert isinstance(task_backends["default"], ContextCarryingBackend)
    structlog.contextvars.bind_contextvars(request_id="pinned-request")
    try:
        result = send_password_reset_email.enqueue(email="pin@example.com")
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.args_kwargs["context"] == {"request_id": "pinned-request"}


def test_the_override_writes_the_columns_upstream_writes(django_assert_num_queries):
    """Upstream's and our `_task_to_db_task` on the same call: every column but the id, the
    enqueue time and our context is the same, each in one INSERT. A column upstream starts
    filling (or stops) fails here."""
    upstream = DatabaseBackend("default", {})
    ours = task_backends["default"]
    task = send_password_reset_email.using(priority=7, queue_name="default")
    call = (task, [], {"email": "pin@example.com"})
    with django_assert_num_queries(1):
        theirs = upstream._task_to_db_task(*call)
    structlog.contextvars.bind_contextvars(request_id="compared")
    try:
        with django_assert_num_queries(1):
            mine = ours._task_to_db_task(*call)
    finally:
        structlog.contextvars.unbind_contextvars("request_id")

    def columns(row: DBTaskResult) -> dict:
        row.refresh_from_db()
        values = {f.attname: getattr(row, f.attname) for f in DBTaskResult._meta.concrete_fields}
        del values["id"], values["enqueued_at"]
        return values

    expected, actual = columns(theirs), columns(mine)
    assert actual["args_kwargs"].pop("context") == {"request_id": "compared"}
    assert actual == expected
    assert expected["priority"] == 7


def test_claim_appends_the_worker_id_and_marks_the_task_running(reset_task, settings):
    """The worker's recovery of its own tasks reads the last id of `worker_ids`, and the retry
    policy counts attempts by its length."""
    settings.TASK_MAX_ATTEMPTS = 3
    reset_task.claim("first")
    reset_task.refresh_from_db()
    assert (reset_task.status, reset_task.worker_ids) == (TaskResultStatus.RUNNING, ["first"])
    assert reset_task.started_at is not None
    reset_task.claim("pinned")
    reset_task.refresh_from_db()
    assert reset_task.worker_ids == ["first", "pinned"]  # the last id is the one running it
    assert make_worker(worker_id="pinned").recover_own_tasks() == 1
    reset_task.refresh_from_db()
    assert reset_task.status == TaskResultStatus.READY


def test_the_worker_command_takes_db_workers_options():
    """`manage.py worker` keeps django-tasks-db's argument parser: its options are exactly the
    keyword arguments our `handle` takes."""
    parser = WorkerCommand().create_parser("manage.py", "worker")
    options = vars(parser.parse_args([]))
    handled = set(inspect.signature(WorkerCommand.handle).parameters) - {"self", "options"}
    assert handled <= set(options)
    upstream = vars(DBWorkerCommand().create_parser("manage.py", "db_worker").parse_args([]))
    assert set(options) == set(upstream)
    assert {
        "queue_name",
        "interval",
        "batch",
        "backend_name",
        "startup_delay",
        "reload",
        "max_tasks",
        "worker_id",
        "exclude_queues",
        "verbosity",
    } == handled

"""taskqueue.policy in this process, row by row: when a failed or orphaned task is retried, when
it becomes a dead letter, which RUNNING tasks a lease pass or a restarted worker takes back, and
what each leaves on the row, in the metrics and in the log (the edges `make mutate` checks)."""

import logging
import smtplib
import socket
import traceback
from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY

from accounts.services import request_password_reset
from taskqueue import policy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TASK = "accounts.tasks.send_password_reset_email"
LEASE = 300


@pytest.fixture(autouse=True)
def _policy_settings(settings):
    settings.TASK_MAX_ATTEMPTS = 3
    settings.TASK_RETRY_BASE_SECONDS = 10
    settings.TASK_RETRY_MAX_SECONDS = 25
    settings.TASK_LEASE_SECONDS = LEASE


def a_task(email: str = "policy@example.com", **columns) -> DBTaskResult:
    UserFactory(email=email)
    request_password_reset(email=email)
    db_task = DBTaskResult.objects.get(args_kwargs__kwargs__email=email)
    if columns:
        DBTaskResult.objects.filter(pk=db_task.pk).update(**columns)
        db_task.refresh_from_db()
    return db_task


def runs(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value("careslot_task_runs_total", {"task": TASK, "outcome": outcome})
        or 0.0
    )


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (policy.RetryLater("a receiver's 503"), True),
        (socket.gaierror("name not known"), True),
        (ConnectionResetError(), True),
        (smtplib.SMTPResponseException(400, b"lowest 4xx"), True),
        (smtplib.SMTPResponseException(499, b"highest 4xx"), True),
        (smtplib.SMTPResponseException(399, b"not an error"), False),
        (smtplib.SMTPResponseException(500, b"lowest 5xx"), False),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"busy"), "d@e.f": (451, b"later")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"busy"), "d@e.f": (550, b"none")}), False),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (500, b"first 5xx")}), False),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (400, b"first 4xx")}), True),
        (policy.LeaseExpired("gone"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_transient_failures(exc, transient):
    assert policy.is_transient(exc) is transient


def test_the_backoff_spreads_over_the_whole_upper_half_of_its_ceiling(settings):
    """Equal jitter: the first retry waits between 5 and 10 s (base 10), anywhere in there."""
    delays = [policy.retry_delay(1) for _ in range(300)]
    assert 5 <= min(delays) < 5.5
    assert 9.5 < max(delays) <= 10


def test_attempts_are_the_claims_and_the_last_allowed_one_is_out_of_attempts():
    db_task = a_task()
    for claims, out in [(0, False), (1, False), (2, False), (3, True), (4, True)]:
        db_task.worker_ids = [f"w{n}" for n in range(claims)]
        assert policy.attempts(db_task) == claims
        assert policy.out_of_attempts(db_task) is out


def test_a_transient_failure_with_attempts_left_is_retried_after_the_backoff(caplog):
    db_task = a_task(status=TaskResultStatus.RUNNING, worker_ids=["w1", "w2"])
    retries, failures = runs("retry"), runs("failed")
    now = timezone.now()
    try:
        raise ConnectionRefusedError("refused")
    except ConnectionRefusedError as raised:
        error = raised  # with a traceback of its frames
    with time_machine.travel(now, tick=False), caplog.at_level(logging.WARNING):
        given_up = policy.settle_failed_run(db_task, error)
    assert given_up is False
    db_task.refresh_from_db()
    assert db_task.status == TaskResultStatus.READY
    # attempt 2: base 10 s doubled, 20 s, half of it random
    assert timedelta(seconds=10) <= db_task.run_after - now <= timedelta(seconds=20)
    assert db_task.exception_class_path == "builtins.ConnectionRefusedError"
    assert db_task.traceback == "".join(traceback.format_exception(error))
    assert db_task.traceback.endswith("ConnectionRefusedError: refused\n")
    assert db_task.worker_ids == ["w1", "w2"]
    assert db_task.finished_at is None
    assert (runs("retry") - retries, runs("failed") - failures) == (1, 0)
    [record] = [r for r in caplog.records if r.name == "careslot.worker"]
    assert record.levelno == logging.WARNING
    delay = (db_task.run_after - now).total_seconds()
    assert record.getMessage() == (
        f"Task id={db_task.id} attempt 2 failed (ConnectionRefusedError); retrying in {delay:.0f}s"
    )


@pytest.mark.parametrize(
    ("worker_ids", "exc"),
    [
        (["w1", "w2", "w3"], ConnectionRefusedError("refused")),  # the last attempt
        (["w1"], ValueError("a bug")),  # not transient: at once
    ],
)
def test_a_last_attempt_or_a_permanent_failure_is_a_dead_letter(worker_ids, exc, caplog):
    db_task = a_task(status=TaskResultStatus.RUNNING, worker_ids=worker_ids)
    retries, failures = runs("retry"), runs("failed")
    with caplog.at_level(logging.WARNING):
        assert policy.settle_failed_run(db_task, exc) is True
    db_task.refresh_from_db()
    assert db_task.status == TaskResultStatus.FAILED
    assert db_task.finished_at is not None
    assert db_task.exception_class_path == f"builtins.{type(exc).__name__}"
    assert (runs("retry") - retries, runs("failed") - failures) == (0, 1)
    [record] = [r for r in caplog.records if r.name == "careslot.worker"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"Task id={db_task.id} failed after {len(worker_ids)} attempt(s)"


def test_a_lost_run_is_retried_whatever_the_cause_until_out_of_attempts():
    retried = a_task("lost1@example.com", status=TaskResultStatus.RUNNING, worker_ids=["w1"])
    assert policy.settle_lost_run(retried, ValueError("not transient")) is False
    retried.refresh_from_db()
    assert retried.status == TaskResultStatus.READY
    assert retried.run_after > timezone.now()

    last = a_task("lost2@example.com", status=TaskResultStatus.RUNNING, worker_ids=["a", "b", "c"])
    assert policy.settle_lost_run(last, ConnectionRefusedError()) is True
    last.refresh_from_db()
    assert last.status == TaskResultStatus.FAILED


def test_only_tasks_running_past_their_lease_on_this_backend_are_taken_back(caplog):
    now = timezone.now()
    running = {"status": TaskResultStatus.RUNNING, "worker_ids": ["gone"]}
    expired = a_task(
        "expired@example.com", started_at=now - timedelta(seconds=LEASE + 1), **running
    )
    fresh = a_task("fresh@example.com", started_at=now - timedelta(seconds=LEASE - 1), **running)
    other_backend = a_task(
        "other@example.com",
        started_at=now - timedelta(seconds=LEASE + 1),
        backend_name="other",
        **running,
    )
    ready = a_task(
        "ready@example.com",
        status=TaskResultStatus.READY,
        started_at=now - timedelta(seconds=LEASE + 1),
    )
    with time_machine.travel(now, tick=False), caplog.at_level(logging.WARNING):
        recovered = policy.recover_expired_leases(backend_name="default")
    assert [t.pk for t in recovered] == [expired.pk]
    assert [t.status for t in recovered] == [TaskResultStatus.READY]
    expired.refresh_from_db()
    assert expired.status == TaskResultStatus.READY
    assert expired.exception_class_path == "taskqueue.policy.LeaseExpired"
    assert expired.traceback.endswith(f"LeaseExpired: worker gone did not finish within {LEASE}s\n")
    for untouched, status in [
        (fresh, TaskResultStatus.RUNNING),
        (other_backend, TaskResultStatus.RUNNING),
        (ready, TaskResultStatus.READY),
    ]:
        untouched.refresh_from_db()
        assert (untouched.status, untouched.exception_class_path) == (status, "")
    messages = [r.getMessage() for r in caplog.records if r.name == "careslot.worker"]
    assert messages[-1] == "Took back 1 task(s) whose lease expired"


def test_the_lease_boundary_is_exclusive():
    now = timezone.now()
    at_the_edge = a_task(
        status=TaskResultStatus.RUNNING,
        worker_ids=["w"],
        started_at=now - timedelta(seconds=LEASE),
    )
    with time_machine.travel(now, tick=False):
        assert policy.recover_expired_leases(backend_name="default") == []
    at_the_edge.refresh_from_db()
    assert at_the_edge.status == TaskResultStatus.RUNNING


def test_an_expired_lease_without_a_worker_id_names_none_and_one_out_of_attempts_fails():
    now = timezone.now()
    anonymous = a_task(
        "anon@example.com",
        status=TaskResultStatus.RUNNING,
        worker_ids=[],
        started_at=now - timedelta(hours=1),
    )
    spent = a_task(
        "spent@example.com",
        status=TaskResultStatus.RUNNING,
        worker_ids=["a", "b", "c"],
        started_at=now - timedelta(hours=1),
    )
    recovered = policy.recover_expired_leases(backend_name="default")
    assert {t.pk: t.status for t in recovered} == {
        anonymous.pk: TaskResultStatus.READY,
        spent.pk: TaskResultStatus.FAILED,
    }
    anonymous.refresh_from_db()
    assert anonymous.traceback.endswith(f"LeaseExpired: worker ? did not finish within {LEASE}s\n")
    spent.refresh_from_db()
    assert spent.status == TaskResultStatus.FAILED
    assert spent.traceback.endswith(f"LeaseExpired: worker c did not finish within {LEASE}s\n")


def test_a_restarted_worker_takes_back_only_what_its_own_id_left_running(caplog, settings):
    settings.TASK_MAX_ATTEMPTS = 5
    running = {"status": TaskResultStatus.RUNNING, "started_at": timezone.now()}
    mine = a_task("mine@example.com", worker_ids=["first", "other", "me"], **running)
    was_mine = a_task("was@example.com", worker_ids=["me", "other"], **running)
    theirs = a_task("theirs@example.com", worker_ids=["other"], **running)
    elsewhere = a_task("elsewhere@example.com", worker_ids=["me"], backend_name="x", **running)
    done = a_task("done@example.com", worker_ids=["me"], status=TaskResultStatus.SUCCESSFUL)
    with caplog.at_level(logging.WARNING):
        recovered = policy.recover_own_tasks(backend_name="default", worker_id="me")
    assert [t.pk for t in recovered] == [mine.pk]
    mine.refresh_from_db()
    assert mine.status == TaskResultStatus.READY
    assert mine.traceback.endswith("LeaseExpired: worker me restarted during the task\n")
    for untouched in (was_mine, theirs, elsewhere, done):
        status = untouched.status
        untouched.refresh_from_db()
        assert untouched.status == status
    messages = [r.getMessage() for r in caplog.records if r.name == "careslot.worker"]
    assert messages[-1] == "Took back 1 task(s) this worker id left running"


def test_nothing_to_take_back_logs_nothing(caplog):
    a_task()
    with caplog.at_level(logging.WARNING):
        assert policy.recover_own_tasks(backend_name="default", worker_id="me") == []
        assert policy.recover_expired_leases(backend_name="default") == []
    assert [r for r in caplog.records if r.name == "careslot.worker"] == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("recover", ["own", "expired"])
def test_a_task_another_worker_holds_locked_is_skipped_not_waited_for(recover):
    """Two workers' recovery passes never queue behind each other's row locks."""
    db_task = a_task(
        status=TaskResultStatus.RUNNING,
        worker_ids=["me"],
        started_at=timezone.now() - timedelta(hours=1),
    )
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    with psycopg.connect(url) as other:  # another worker, in the middle of its own pass
        other.execute(
            f'SELECT 1 FROM "{DBTaskResult._meta.db_table}" WHERE id = %s FOR UPDATE',
            [db_task.pk],
        )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # waiting would be an error
        try:
            if recover == "own":
                recovered = policy.recover_own_tasks(backend_name="default", worker_id="me")
            else:
                recovered = policy.recover_expired_leases(backend_name="default")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    assert recovered == []

"""Issue #27.1: the worker outlives its database connection. Killed between polls or while a
task is inside the mail server, the connection is replaced; the worker keeps running and each
mail arrives once. (A PostgreSQL restart: tests/faults, on a server of its own.)"""

import threading

import psycopg
import pytest
from django.db.utils import InterfaceError, OperationalError
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.services import resend_confirmation
from taskqueue.worker import database_lost, reconnect_delay
from tests.factories import UserFactory
from tests.servers import served_database_url
from tests.tasks.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

APP_NAME = "careslot-worker-outage"
WORKER_ENV = {"PGAPPNAME": APP_NAME, "CONN_MAX_AGE": "600", "LOG_LEVEL": "INFO"}


def terminate_worker_connections() -> int:
    with psycopg.connect(served_database_url(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [APP_NAME],
        ).fetchall()
    return sum(1 for (done,) in rows if done)


def enqueue_mail(email: str) -> DBTaskResult:
    user = UserFactory(email=email, email_confirmed_at=None)
    resend_confirmation(email=user.email)
    return DBTaskResult.objects.get()  # the only task of the test


def test_connections_killed_between_polls_do_not_end_the_worker(
    smtp_server, start_worker, tmp_path
):
    smtp_server.start()
    heartbeat = tmp_path / "alive"
    worker = start_worker(smtp_server.port, TASK_WORKER_HEARTBEAT_FILE=str(heartbeat), **WORKER_ENV)
    for _ in range(3):
        # A connection seen a moment ago may be one already ending (the last round's): wait
        # until one is there to be killed, and kill it.
        wait_for(lambda: terminate_worker_connections() >= 1)
    beaten = heartbeat.stat().st_mtime
    wait_for(lambda: heartbeat.stat().st_mtime > beaten)  # the loop still turns
    task = enqueue_mail("polls@example.com")

    wait_for(lambda: smtp_server.mailbox.to("polls@example.com"))
    wait_for(lambda: DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.SUCCESSFUL)
    assert worker.poll() is None, "the worker exited"
    assert len(smtp_server.mailbox.messages) == 1


def test_a_connection_killed_mid_task_still_delivers_the_mail_once(smtp_server, start_worker):
    smtp_server.mailbox.gate = gate = threading.Event()
    smtp_server.start()
    task = enqueue_mail("midtask@example.com")
    worker = start_worker(smtp_server.port, **WORKER_ENV)

    # The worker is inside the task, its message held in the mail server's DATA phase.
    assert smtp_server.mailbox.receiving.wait(30)
    assert terminate_worker_connections() >= 1
    gate.set()

    wait_for(lambda: DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.SUCCESSFUL)
    assert worker.poll() is None, "the worker exited"
    assert len(smtp_server.mailbox.to("midtask@example.com")) == 1
    assert len(DBTaskResult.objects.get(pk=task.pk).worker_ids) == 1  # one attempt, finished


def test_what_counts_as_losing_the_database_and_the_backoff_is_capped():
    assert database_lost(OperationalError("server closed the connection unexpectedly"))
    assert database_lost(InterfaceError("connection already closed"))
    assert not database_lost(OperationalError("database is locked"))  # SQLite waits its turn
    assert not database_lost(ValueError("a bug"))
    delays = [reconnect_delay(failures) for failures in range(1, 12)]
    assert all(0.25 <= delay <= 10 for delay in delays)
    assert max(delays[6:]) > 4.9  # it grows to the cap

"""Issue #23.4: on SIGTERM, gunicorn and the task worker finish the work in hand and exit 0,
as real processes (what `docker stop`, supervisord and Kubernetes send)."""

import signal
import threading
import time

import pytest
from django.db import connection, transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.services import resend_confirmation
from tests.factories import UserFactory
from tests.servers import call, gunicorns
from tests.tasks.conftest import Output, finish, wait_for
from tests.tasks.smtp import SMTPServer, StalledSMTPServer, free_port

pytestmark = pytest.mark.django_db(transaction=True)


def requests_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else read once per transaction
        cursor.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_gunicorn_finishes_the_request_in_flight_on_sigterm_then_exits_0():
    # graceful_timeout=None: backend/gunicorn.conf.py's own, as `make serve` and Docker run it.
    with gunicorns(1, graceful_timeout=None) as (server,):
        answers = []
        with transaction.atomic():
            # /readyz reads django_migrations: the request waits on this lock, in the database.
            connection.cursor().execute("LOCK TABLE django_migrations IN ACCESS EXCLUSIVE MODE")
            client = threading.Thread(
                target=lambda: answers.append(call(server.port, "GET", "/readyz", timeout=60))
            )
            client.start()
            wait_for(lambda: requests_waiting_for_a_lock() == 1)

            server.process.send_signal(signal.SIGTERM)
            # The request is held past the tests' usual 2 s grace, so only the config's (30 s)
            # lets it finish: a duration under test, not a guess at when something happened
            # (a loaded machine only makes the hold longer, still well inside 30 s).
            time.sleep(3)
            assert server.process.poll() is None, server.output()
            # No new work: the arbiter has closed its listener, so a new connection is refused
            # or, while the busy worker still holds its copy of the socket, waits unanswered
            # in the kernel's backlog until that worker exits.
            with pytest.raises((ConnectionRefusedError, TimeoutError)):
                call(server.port, "GET", "/healthz", timeout=3)
        client.join(timeout=30)

        assert [answer.status for answer in answers] == [200], server.output()
        assert answers[0].json()["status"] == "ok"
        assert server.process.wait(timeout=30) == 0, server.output()


def last_statement(application_name: str) -> str | None:
    """The last statement of the connection a process named with PGAPPNAME keeps open."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s AND state = 'idle'",
            [application_name],
        )
        row = cursor.fetchone()
    return row[0].strip() if row else None


def _one_confirmation_task(email: str) -> DBTaskResult:
    UserFactory(email=email, email_confirmed_at=None)
    resend_confirmation(email=email)
    return DBTaskResult.objects.get()


def test_the_worker_finishes_its_task_on_sigterm_then_exits_0(start_worker):
    task = _one_confirmation_task("graceful@example.com")
    smtp = SMTPServer()
    smtp.mailbox.gate = threading.Event()  # the mail server takes its time over DATA
    smtp.start()
    try:
        worker = start_worker(smtp.port, "--worker-id", "w1")
        output = Output(worker)
        assert smtp.mailbox.receiving.wait(60)
        worker.send_signal(signal.SIGTERM)
        output.wait_for("finishing the current task")  # the signal is handled, mid-task
        assert worker.poll() is None  # still finishing its task
        task.refresh_from_db()
        assert task.status == TaskResultStatus.RUNNING
        smtp.mailbox.gate.set()
        assert output.exit_code() == 0, output.text()
    finally:
        smtp.mailbox.gate.set()
        smtp.stop()

    task.refresh_from_db()
    assert (task.status, task.worker_ids) == (TaskResultStatus.SUCCESSFUL, ["w1"])
    assert len(smtp.mailbox.to("graceful@example.com")) == 1


def test_an_idle_worker_exits_0_at_once_on_sigterm(start_worker, smtp_server):
    task = _one_confirmation_task("idle@example.com")
    smtp_server.start()
    worker = start_worker(
        smtp_server.port, "--interval", "60", PGAPPNAME="idle-worker", CONN_MAX_AGE="600"
    )
    wait_for(lambda: DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.SUCCESSFUL)
    # After the task the worker polls once more, finds nothing, and waits 60 s for more work:
    # its kept connection's last statement is then that poll's COMMIT.
    wait_for(lambda: last_statement("idle-worker") == "COMMIT")
    worker.send_signal(signal.SIGTERM)
    # "At once": well within the 60 s interval it was waiting out (TimeoutExpired otherwise).
    finish(worker, timeout=15)


def test_a_second_sigterm_hands_the_task_back_and_another_worker_runs_it_once(start_worker):
    task = _one_confirmation_task("forced@example.com")
    port = free_port()
    stalled = StalledSMTPServer(port)  # the first worker hangs inside its task
    try:
        first = start_worker(port, "--worker-id", "first")
        output = Output(first)
        assert stalled.accepted.wait(60)
        first.send_signal(signal.SIGTERM)
        # Handled before the second is sent: two signals pending at once would be one.
        output.wait_for("finishing the current task")
        assert first.poll() is None
        first.send_signal(signal.SIGTERM)
        assert output.exit_code() == 1, output.text()
    finally:
        stalled.close()
    assert "stopping the current task" in output.text()
    task.refresh_from_db()
    assert (task.status, task.worker_ids) == (TaskResultStatus.READY, ["first"])

    smtp = SMTPServer(port)
    smtp.start()
    try:
        start_worker(port, "--worker-id", "second")
        wait_for(lambda: DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL)
    finally:
        smtp.stop()
    assert len(smtp.mailbox.to("forced@example.com")) == 1
    task.refresh_from_db()
    assert task.worker_ids == ["first", "second"]

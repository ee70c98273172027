"""Issue #16: two real worker processes drain one queue on PostgreSQL at the same time; the
row lock each takes when claiming means every task runs once, and every mail arrives once."""

import signal
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.tasks import resend_confirmation_email
from tests.factories import UserFactory
from tests.tasks.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

TASKS = 80


def test_two_workers_drain_one_queue_and_run_every_task_once(smtp_server, start_worker):
    assert connection.vendor == "postgresql"
    smtp_server.start()
    emails = [UserFactory(email_confirmed_at=None).email for _ in range(TASKS)]
    # Queued for later, so nothing is ready until both workers are polling (waited for below,
    # not guessed with a fixed delay: a worker starts slowly on a busy machine).
    for email in emails:
        resend_confirmation_email.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(
            email=email
        )
    # A kept connection named after the worker (libpq's PGAPPNAME) shows it polling.
    env = {"CONN_MAX_AGE": "600"}
    workers = [
        start_worker(smtp_server.port, "--worker-id", name, PGAPPNAME=f"worker-{name}", **env)
        for name in ("a", "b")
    ]
    wait_for(lambda: _polling() >= {"worker-a", "worker-b"}, timeout=90)
    DBTaskResult.objects.update(run_after=timezone.now())  # the whole queue ready at once

    wait_for(
        lambda: DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == TASKS,
        timeout=90,
    )
    # Stop both (a stopping worker finishes its task and claims no other): once they have
    # exited, nothing can run again, so what the rows say now is final.
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=30)

    runs = list(DBTaskResult.objects.values_list("worker_ids", flat=True))
    assert len(runs) == TASKS
    assert all(len(worker_ids) == 1 for worker_ids in runs)
    assert {worker_ids[0] for worker_ids in runs} == {"a", "b"}, "both workers took tasks"
    assert sorted(message["To"] for message in smtp_server.mailbox.messages) == sorted(emails)


def _polling() -> set[str]:
    """The application names of the other connections to this test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT application_name FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {name for (name,) in cursor.fetchall()}

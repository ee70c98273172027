"""Issue #16: two real worker processes drain one queue on PostgreSQL at the same time; the
row lock each takes when claiming means every task runs once, and every mail arrives once."""

import signal
import time
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
    # Deferred a few seconds, so both workers are polling when the whole queue becomes ready.
    ready_at = timezone.now() + timedelta(seconds=4)
    for email in emails:
        resend_confirmation_email.using(run_after=ready_at).enqueue(email=email)
    workers = [start_worker(smtp_server.port, "--worker-id", name) for name in ("a", "b")]

    wait_for(
        lambda: DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == TASKS,
        timeout=90,
    )
    time.sleep(1)  # anything run twice would show now
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    runs = list(DBTaskResult.objects.values_list("worker_ids", flat=True))
    assert all(len(worker_ids) == 1 for worker_ids in runs)
    assert {worker_ids[0] for worker_ids in runs} == {"a", "b"}, "both workers took tasks"
    assert sorted(message["To"] for message in smtp_server.mailbox.messages) == sorted(emails)

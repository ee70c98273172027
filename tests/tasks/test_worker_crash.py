"""Issue #16: a worker SIGKILLed in the middle of a task. django-tasks-db would leave the task
RUNNING for ever; CareSlot's worker takes it back once its lease has run out, and the mail is
delivered once."""

import os
import signal
from datetime import timedelta

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.services import resend_confirmation
from tests.factories import UserFactory
from tests.tasks.conftest import wait_for
from tests.tasks.smtp import SMTPServer, StalledSMTPServer, free_port

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = "3"


def test_a_task_whose_worker_was_killed_runs_again_after_its_lease_and_mails_once(
    start_worker, tmp_path
):
    heartbeat = tmp_path / "alive"
    smtp = SMTPServer()
    smtp.start()
    # The second worker is started first and frozen (SIGSTOP) while the queue is empty, so it
    # is polling the moment it is let go, however slowly a worker starts on a busy machine: a
    # worker that took the task back before the lease ran out would claim it at once.
    second = start_worker(
        smtp.port,
        "--worker-id",
        "second",
        TASK_LEASE_SECONDS=LEASE,
        TASK_RETRY_BASE_SECONDS="0.2",
        TASK_WORKER_HEARTBEAT_FILE=str(heartbeat),
    )
    wait_for(heartbeat.exists, timeout=60)
    second.send_signal(signal.SIGSTOP)

    user = UserFactory(email="kill@example.com", email_confirmed_at=None)
    resend_confirmation(email=user.email)
    task = DBTaskResult.objects.get()
    port = free_port()
    # The first worker connects to a mail server that never answers: it is inside the task.
    stalled = StalledSMTPServer(port)
    first = start_worker(port, "--worker-id", "first", TASK_LEASE_SECONDS=LEASE)
    try:
        assert stalled.accepted.wait(60)
        task.refresh_from_db()
        assert (task.status, task.worker_ids) == (TaskResultStatus.RUNNING, ["first"])
        first_claimed_at = task.started_at
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        second.send_signal(signal.SIGCONT)

        wait_for(lambda: DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL)
        task.refresh_from_db()
        # Taken back only once the lease ran out: the second claim (the rows' own times,
        # written by the workers) is at least the lease after the first.
        assert task.started_at - first_claimed_at >= timedelta(seconds=int(LEASE))
        # The second worker keeps polling, with a pass for expired leases due every second
        # (max(1, lease / 4)): let its loop turn past that, then stop it, so that what the
        # rows and the mailbox hold is final.
        wait_for(lambda: heartbeat.stat().st_mtime > task.finished_at.timestamp() + 1.5)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        second.send_signal(signal.SIGCONT)  # a frozen process would not die of SIGKILL later
        stalled.close()
        smtp.stop()

    assert len(smtp.mailbox.to("kill@example.com")) == 1
    assert len(smtp.mailbox.messages) == 1
    task.refresh_from_db()
    assert task.worker_ids == ["first", "second"]

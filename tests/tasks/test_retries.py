"""Issue #16: transient failures (connection refused, SMTP 4xx) retry with exponential backoff
and jitter up to TASK_MAX_ATTEMPTS, then the task is FAILED and listed for platform admins, who
can requeue it; a permanent failure (SMTP 5xx) fails at once. Run in-process through the
worker's own claim/run steps against a real SMTP server."""

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import Role
from accounts.services import request_password_reset
from audit.models import AdminActionLog
from taskqueue.policy import is_transient, retry_delay
from tests.errors import assert_error
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db

FAILED_TASKS = "/api/v1/failed-tasks/"


@pytest.fixture
def reset_task(settings):
    settings.TASK_MAX_ATTEMPTS = 3
    settings.TASK_RETRY_BASE_SECONDS = 60
    settings.TASK_RETRY_MAX_SECONDS = 90
    UserFactory(email="retry@example.com")
    request_password_reset(email="retry@example.com")
    return DBTaskResult.objects.get()


def test_backoff_doubles_with_jitter_up_to_the_cap(settings):
    settings.TASK_RETRY_BASE_SECONDS = 10
    settings.TASK_RETRY_MAX_SECONDS = 60
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = {retry_delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1, "jittered"


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (smtplib.SMTPServerDisconnected(), True),
        (smtplib.SMTPDataError(451, b"try later"), True),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no such user")}), False),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_transient(exc, transient):
    assert is_transient(exc) is transient


def test_smtp_down_retries_with_backoff_then_fails_visibly_and_requeue_delivers_once(
    reset_task, use_smtp, run_tasks, client_for
):
    smtp = use_smtp  # down
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for attempt, ceiling in [(1, 60), (2, 90)]:
            assert run_tasks() == 1
            reset_task.refresh_from_db()
            assert reset_task.status == TaskResultStatus.READY
            assert len(reset_task.worker_ids) == attempt
            assert reset_task.exception_class_path == "builtins.ConnectionRefusedError"
            wait = (reset_task.run_after - timezone.now()).total_seconds()
            assert ceiling / 2 <= wait <= ceiling
            assert run_tasks() == 0, "not before its backoff"
            clock.move_to(reset_task.run_after + timedelta(seconds=1))
        assert run_tasks() == 1  # the third and last attempt

    reset_task.refresh_from_db()
    assert reset_task.status == TaskResultStatus.FAILED
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    [listed] = admin.get(FAILED_TASKS).json()["results"]
    assert listed["id"] == str(reset_task.pk)
    assert listed["task"] == "accounts.tasks.send_password_reset_email"
    assert listed["attempts"] == 3
    assert listed["error"] == "builtins.ConnectionRefusedError"
    assert "Connection refused" in listed["error_message"]

    smtp.start()
    response = admin.post(f"{FAILED_TASKS}{reset_task.pk}/requeue/")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["attempts"]) == ("READY", 0)
    assert admin.get(FAILED_TASKS).json()["count"] == 0
    log = AdminActionLog.objects.get(action="task_requeued")
    assert log.target_id == reset_task.pk
    assert log.details["error"] == "builtins.ConnectionRefusedError"

    assert run_tasks() == 1
    assert [m["To"] for m in smtp.mailbox.messages] == ["retry@example.com"]
    assert_error(admin.post(f"{FAILED_TASKS}{reset_task.pk}/requeue/"), 404, "not_found")


def test_a_4xx_answer_is_retried_and_a_5xx_answer_fails_at_once(reset_task, use_smtp, run_tasks):
    use_smtp.start()
    use_smtp.mailbox.refuse_with = "451 4.3.0 Mailbox busy, try again later"
    run_tasks()
    reset_task.refresh_from_db()
    assert (reset_task.status, reset_task.exception_class_path) == (
        TaskResultStatus.READY,
        "smtplib.SMTPDataError",
    )

    use_smtp.mailbox.refuse_with = "554 5.7.1 Message rejected"
    with time_machine.travel(reset_task.run_after + timedelta(seconds=1), tick=False):
        run_tasks()
    reset_task.refresh_from_db()
    assert reset_task.status == TaskResultStatus.FAILED
    assert len(reset_task.worker_ids) == 2
    assert use_smtp.mailbox.messages == []


def test_a_failed_mail_is_not_sent_twice_when_requeued_after_it_was_delivered(
    reset_task, use_smtp, run_tasks, client_for
):
    """A task that delivered its mail and then failed (here: marked failed by hand, as a crash
    between sending and recording success would leave it) sends nothing when requeued."""
    use_smtp.start()
    run_tasks()
    assert len(use_smtp.mailbox.messages) == 1
    DBTaskResult.objects.filter(pk=reset_task.pk).update(status=TaskResultStatus.FAILED)
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    assert admin.post(f"{FAILED_TASKS}{reset_task.pk}/requeue/").status_code == 200
    assert run_tasks() == 1
    assert len(use_smtp.mailbox.messages) == 1

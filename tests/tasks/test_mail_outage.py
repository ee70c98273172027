"""Issue #16: with the mail server down, registration and booking still answer 201 and commit;
the mail waits as a task, survives a failed attempt, and arrives exactly once when the server
is back and a real worker process runs."""

import io

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from appointments.models import Appointment
from tests.factories import PASSWORD, PatientFactory, SlotFactory, in_hours
from tests.tasks.conftest import finish, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/api/v1/auth/register/patient/"
BOOK = "/api/v1/appointments/"
MAIL_TASKS = {
    "registration.tasks.send_registration_email",
    "appointments.tasks.send_booking_confirmation",
}


def ready_mail_tasks():
    return DBTaskResult.objects.ready().filter(task_path__in=MAIL_TASKS)


def test_requests_succeed_while_smtp_is_down_and_the_worker_delivers_each_mail_once(
    api_client, client_for, use_smtp, start_worker
):
    smtp = use_smtp  # created, not started: connections are refused
    registered = api_client.post(
        REGISTER,
        {
            "email": "ada@example.com",
            "password": PASSWORD,
            "first_name": "Ada",
            "last_name": "Byron",
            "date_of_birth": "1990-12-10",
        },
    )
    patient = PatientFactory()
    slot = SlotFactory(start=in_hours(72))
    booked = client_for(patient.user).post(BOOK, {"slot": str(slot.pk)})

    assert registered.status_code == 201, registered.content
    assert booked.status_code == 201, booked.content
    assert User.objects.filter(email="ada@example.com").exists()
    assert Appointment.objects.filter(pk=booked.json()["id"]).exists()
    assert set(ready_mail_tasks().values_list("task_path", flat=True)) == MAIL_TASKS

    # A worker while the server is still down: each mail fails once, and is kept for later.
    finish(start_worker(smtp.port, "--batch", TASK_RETRY_BASE_SECONDS="0.5"))
    tasks = DBTaskResult.objects.filter(task_path__in=MAIL_TASKS)
    assert [t.status for t in tasks] == [TaskResultStatus.READY] * 2
    assert all(len(t.worker_ids) == 1 for t in tasks)
    assert all(t.exception_class_path == "builtins.ConnectionRefusedError" for t in tasks)
    assert smtp.mailbox.messages == []

    smtp.start()
    wait_for(lambda: ready_mail_tasks().count() == 2, timeout=10)  # past their 0.25-0.5 s backoff
    finish(start_worker(smtp.port, "--batch", TASK_RETRY_BASE_SECONDS="0.5"))
    finish(start_worker(smtp.port, "--batch"))  # a second run finds nothing left to send

    assert len(smtp.mailbox.to("ada@example.com")) == 1
    [confirmation] = smtp.mailbox.to(patient.user.email)
    assert confirmation["Subject"].startswith("Booked: Dr.")
    assert "text/calendar" in [part.get_content_type() for part in confirmation.walk()]
    assert len(smtp.mailbox.messages) == 2
    statuses = set(DBTaskResult.objects.filter(task_path__in=MAIL_TASKS).values_list("status"))
    assert statuses == {(TaskResultStatus.SUCCESSFUL,)}


def test_seed_demo_succeeds_with_smtp_down(use_smtp):
    call_command("seed_demo", stdout=io.StringIO())
    assert Appointment.objects.filter(notes="Demo booking").count() == 3
    assert (
        ready_mail_tasks().filter(task_path="appointments.tasks.send_booking_confirmation").count()
        == 3
    )
    assert use_smtp.mailbox.connections == 0

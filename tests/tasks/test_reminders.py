"""Issue #16: appointment reminders, 24 and 2 hours before, scheduled as deferred tasks in the
clinic's time zone. The 24-hour one comes at the same local time the day before, also across a
DST change (23 or 25 hours then); none for a cancelled, moved or started appointment; none
twice, even when a worker dies after sending and the task runs again."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from appointments.models import Appointment
from appointments.reminders import reminder_times
from appointments.services import book_appointment, cancel_appointment, reschedule_appointment
from taskqueue.worker import make_worker
from tests.factories import ClinicFactory, PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db

REMINDER = "appointments.tasks.send_appointment_reminder"

# (zone, appointment start in local time, elapsed hours between it and the day-before reminder)
DST_CASES = [
    ("Europe/Berlin", datetime(2026, 3, 29, 9, 0), 23),  # clocks went forward overnight
    ("America/New_York", datetime(2026, 11, 1, 9, 0), 25),  # clocks went back overnight
]


def local(zone: str, wall: datetime) -> datetime:
    return wall.replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(("zone", "wall", "hours"), DST_CASES)
def test_the_day_before_reminder_keeps_the_local_time_across_dst(zone, wall, hours):
    start = local(zone, wall)
    [(day, day_before), (two, two_before)] = reminder_times(start, ZoneInfo(zone), [24, 2])
    assert (day, two) == (24, 2)
    assert day_before.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == wall - timedelta(days=1)
    assert start - day_before == timedelta(hours=hours)
    assert start - two_before == timedelta(hours=2)


def book_in(zone: str, wall: datetime) -> Appointment:
    slot = SlotFactory(clinic=ClinicFactory(timezone=zone), start=local(zone, wall))
    return book_appointment(patient=PatientFactory(), slot_id=slot.pk).appointment


def reminders_sent(outbox) -> list[str]:
    return [m.subject for m in outbox if m.subject.startswith("Reminder")]


@pytest.mark.parametrize(("zone", "wall", "hours"), DST_CASES)
def test_reminders_arrive_at_their_local_times_and_once(zone, wall, hours, run_tasks, outbox):
    start = local(zone, wall)
    with time_machine.travel(start - timedelta(days=5), tick=False) as clock:
        appointment = book_in(zone, wall)
        run_tasks()  # the booking confirmation
        outbox.clear()

        day_before = local(zone, wall - timedelta(days=1))
        clock.move_to(day_before - timedelta(minutes=1))
        assert run_tasks() == 0
        clock.move_to(day_before)
        assert run_tasks() == 1
        assert len(reminders_sent(outbox)) == 1
        assert outbox[0].to == [appointment.patient.user.email]
        assert f"{wall:%H:%M}" in outbox[0].body  # in the clinic's local time

        clock.move_to(start - timedelta(hours=2, minutes=1))
        assert run_tasks() == 0
        clock.move_to(start - timedelta(hours=2))
        assert run_tasks() == 1
        assert len(reminders_sent(outbox)) == 2
        clock.move_to(start + timedelta(days=1))
        assert run_tasks() == 0


def test_no_reminder_for_a_cancelled_appointment(run_tasks, outbox):
    zone, wall = DST_CASES[0][:2]
    with time_machine.travel(local(zone, wall) - timedelta(days=5), tick=False) as clock:
        appointment = book_in(zone, wall)
        cancel_appointment(appointment=appointment, cancelled_by=appointment.patient.user)
        clock.move_to(local(zone, wall) - timedelta(minutes=30))
        run_tasks()
    assert reminders_sent(outbox) == []
    statuses = DBTaskResult.objects.filter(task_path=REMINDER).values_list("status", flat=True)
    assert list(statuses) == [TaskResultStatus.SUCCESSFUL] * 2  # ran, and sent nothing


def test_no_reminder_for_an_appointment_moved_away_or_already_started(run_tasks, outbox):
    zone, wall = DST_CASES[0][:2]
    start = local(zone, wall)
    with time_machine.travel(start - timedelta(days=5), tick=False) as clock:
        moved = book_in(zone, wall)
        book_in(zone, wall + timedelta(hours=1))  # started before any worker ran
        # The patient moves the appointment a week later through the reschedule service: its
        # old reminders stay queued, and two new ones are scheduled for the new time.
        target = SlotFactory(
            doctor=moved.doctor, clinic=moved.clinic, start=moved.start + timedelta(days=7)
        )
        reschedule_appointment(appointment=moved, slot_id=target.pk, actor=moved.patient.user)
        assert DBTaskResult.objects.filter(task_path=REMINDER).count() == 6
        # No worker ran until after both appointments started.
        clock.move_to(start + timedelta(hours=3))
        ran = run_tasks()
    assert reminders_sent(outbox) == []
    reminders = DBTaskResult.objects.filter(task_path=REMINDER)
    # The four reminders of the old times ran (and sent nothing); the moved appointment's two
    # new ones wait for its new time. Every task that was ready ran.
    assert reminders.filter(status=TaskResultStatus.SUCCESSFUL).count() == 4
    assert reminders.filter(status=TaskResultStatus.READY).count() == 2
    assert ran == DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count()
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()


def test_a_reminder_run_again_after_its_worker_died_is_not_sent_twice(run_tasks, outbox, settings):
    """The worker died after the mail went out and before the task was marked done: the lease
    expires, another worker runs the task again, and the delivery record stops a second mail."""
    zone, wall = DST_CASES[1][:2]
    start = local(zone, wall)
    with time_machine.travel(start - timedelta(days=5), tick=False) as clock:
        book_in(zone, wall)
        run_tasks()
        outbox.clear()
        clock.move_to(start - timedelta(hours=1))
        assert run_tasks() == 2
        assert len(reminders_sent(outbox)) == 2
        DBTaskResult.objects.filter(task_path=REMINDER).update(status=TaskResultStatus.RUNNING)

        clock.move_to(start - timedelta(hours=1) + timedelta(seconds=settings.TASK_LEASE_SECONDS))
        assert make_worker().recover_expired_leases() == 0, "not before the lease ends"
        clock.shift(timedelta(seconds=2))
        assert make_worker().recover_expired_leases() == 2
        clock.shift(timedelta(seconds=settings.TASK_RETRY_BASE_SECONDS))
        assert run_tasks() == 2
    assert len(reminders_sent(outbox)) == 2
    assert all(
        len(worker_ids) == 2
        for worker_ids in DBTaskResult.objects.filter(task_path=REMINDER).values_list(
            "worker_ids", flat=True
        )
    )

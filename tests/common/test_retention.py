"""Operational data leaves after its retention period (docs/privacy.md), under a frozen clock:
login events, finished task rows, finished webhook deliveries and ended slot holds; what is
still in its period, still pending or live, and the medical access log, stay."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import LoginEvent
from common.retention import prune_operational_data
from doctors.tasks import send_doctor_confirmed_email
from records.models import RecordAccessLog
from scheduling.models import SlotHold
from scheduling.services import hold_slot, release_hold
from taskqueue.worker import run_ready_tasks
from tests.factories import (
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    failed_task,
    in_hours,
)
from tests.webhooks.conftest import make_endpoint
from webhooks.models import WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def at(days_ago: float):
    return time_machine.travel(NOW - timedelta(days=days_ago), tick=False)


def held_and_released(patient):
    slot = SlotFactory(start=timezone.now() + timedelta(days=3))
    hold_slot(patient=patient, slot_id=slot.pk)
    return release_hold(patient=patient, slot_id=slot.pk)


def delivery(status: str) -> WebhookDelivery:
    endpoint = make_endpoint(ClinicFactory(), "https://93.184.215.14/hooks")
    row = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="appointment.booked", payload={}, status=status
    )
    if status != "pending":
        WebhookAttempt.objects.create(
            delivery=row, attempt=1, started_at=timezone.now(), succeeded=status == "succeeded"
        )
    return row


def successful_task() -> DBTaskResult:
    result = send_doctor_confirmed_email.enqueue(doctor_id=str(DoctorFactory().pk))
    run_ready_tasks()
    task = DBTaskResult.objects.get(pk=result.id)
    assert task.status == "SUCCESSFUL", task.status
    return task


def test_each_kind_goes_after_its_own_period_and_nothing_else(settings):
    settings.LOGIN_EVENT_RETENTION_DAYS = 400
    settings.TASK_RESULT_RETENTION_DAYS = 30
    settings.FAILED_TASK_RETENTION_DAYS = 90
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 90
    settings.SLOT_HOLD_RETENTION_DAYS = 30
    patient = PatientFactory()
    old, kept = {}, {}
    with at(401):
        old["login"] = LoginEvent.objects.create(user=patient.user)
        old["access_log"] = RecordAccessLog.objects.create(
            user=patient.user, patient=patient, action="read_access_log"
        )
    with at(399):
        kept["login"] = LoginEvent.objects.create(user=patient.user)
    with at(91):
        old["failed_task"] = failed_task()
        old["delivery"] = delivery("succeeded")
        old["failed_delivery"] = delivery("failed")
        kept["pending_delivery"] = delivery("pending")
    with at(89):
        kept["failed_task"] = failed_task()
        kept["delivery"] = delivery("succeeded")
    with at(31):
        old["task"] = successful_task()
        old["hold"] = held_and_released(patient)
    with at(29):
        kept["task"] = successful_task()
        kept["hold"] = held_and_released(PatientFactory())
    with time_machine.travel(NOW, tick=False):
        kept["live_hold"] = hold_slot(patient=patient, slot_id=SlotFactory(start=in_hours(48)).pk)
        pruned = prune_operational_data()
        assert pruned == {
            "task_results": 1,
            "failed_task_results": 1,
            "login_events": 1,
            "slot_holds": 1,
            "webhook_deliveries": 2,
        }
        # Twice is safe: nothing more goes.
        assert set(prune_operational_data().values()) == {0}
    assert set(LoginEvent.objects.values_list("pk", flat=True)) == {kept["login"].pk}
    remaining_tasks = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert {kept["task"].pk, kept["failed_task"].pk} <= remaining_tasks
    assert not {old["task"].pk, old["failed_task"].pk} & remaining_tasks
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {
        kept["delivery"].pk,
        kept["pending_delivery"].pk,
    }
    assert not WebhookAttempt.objects.filter(delivery__in=[old["delivery"].pk]).exists()
    assert not SlotHold.objects.filter(pk=old["hold"].pk).exists()
    assert SlotHold.objects.filter(pk=kept["hold"].pk).exists()
    assert SlotHold.objects.filter(pk=kept["live_hold"].hold.pk).exists()
    # The medical access log is kept for its legal period: no retention step touches it.
    assert RecordAccessLog.objects.filter(pk=old["access_log"].pk).exists()


def test_the_command_reports_what_it_pruned(capsys):
    with at(500):
        LoginEvent.objects.create(user=PatientFactory().user)
    call_command("prune_operational_data")
    assert "login_events: 1" in capsys.readouterr().out

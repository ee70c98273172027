"""Delivering events to a real HTTP receiver: signatures the standardwebhooks library accepts,
retries after a 5xx, the delivery log, redelivery, and disabling after a run of failures."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks.webhooks import Webhook

from appointments.services import cancel_appointment, record_outcome
from scheduling.services import create_slot, delete_slot
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    DoctorFactory,
    SlotFactory,
    in_hours,
)
from tests.webhooks.conftest import make_endpoint
from webhooks.models import WebhookDelivery
from webhooks.services import deliver_webhook, queue_event, rotate_secret

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"


@pytest.fixture
def booked(clinic):
    return AppointmentFactory(
        slot__clinic=clinic, slot__start=in_hours(48), notes="Chest pain since Monday"
    )


def test_a_booking_reaches_the_receiver_signed_as_the_standard_says(
    local_webhooks, clinic, receiver, client_for, run_tasks
):
    endpoint = make_endpoint(clinic, receiver.url(), events=["appointment.booked"])
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    slot = create_slot(doctor=doctor, clinic=clinic, start=in_hours(30), end=in_hours(30.5))
    patient_client = client_for(AppointmentFactory().patient.user)

    booked = patient_client.post(
        "/api/v1/appointments/", {"slot": str(slot.pk), "notes": "Chest pain"}, format="json"
    )
    assert booked.status_code == 201
    assert receiver.received == []  # the request only queued it
    run_tasks()

    (received,) = receiver.received
    payload = Webhook(endpoint.secret).verify(received.body, received.headers)
    assert payload["type"] == "appointment.booked"
    data = payload["data"]["appointment"]
    assert data["id"] == booked.json()["id"]
    assert (data["slot_id"], data["clinic_id"]) == (str(slot.pk), str(clinic.pk))
    assert data["status"] == "booked"
    assert data["payment_status"] == "pending"
    assert received.headers["webhook-id"] == str(WebhookDelivery.objects.get().pk)
    assert received.headers["content-type"] == "application/json"
    assert "Chest pain" not in received.body.decode()  # notes are medical: never sent


def test_a_video_booking_carries_its_type_and_modality_never_its_join_link(
    local_webhooks, clinic, receiver, client_for, run_tasks
):
    from appointments.models import Appointment
    from tests.factories import VisitTypeFactory

    make_endpoint(clinic, receiver.url(), events=["appointment.booked"])
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    visit_type = VisitTypeFactory(doctor=None, clinic=clinic, modality="video")
    slot = create_slot(doctor=doctor, clinic=clinic, start=in_hours(30), end=in_hours(30.5))
    booked = client_for(AppointmentFactory().patient.user).post(
        "/api/v1/appointments/",
        {"slot": str(slot.pk), "visit_type": str(visit_type.pk)},
        format="json",
    )
    assert booked.status_code == 201, booked.content
    run_tasks()

    (received,) = receiver.received
    data = json.loads(received.body)["data"]["appointment"]
    assert (data["visit_type_id"], data["modality"]) == (str(visit_type.pk), "video")
    room = Appointment.objects.get(pk=booked.json()["id"]).video_room
    assert room
    assert room not in received.body.decode()


def test_a_tampered_body_or_a_wrong_secret_does_not_verify(
    local_webhooks, clinic, receiver, run_tasks
):
    from standardwebhooks.webhooks import WebhookVerificationError

    endpoint = make_endpoint(clinic, receiver.url())
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
    run_tasks()
    (received,) = receiver.received

    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(received.body + b" ", received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(received.body, received.headers)


def test_during_a_rotation_both_secrets_verify(local_webhooks, clinic, receiver, run_tasks):
    endpoint = make_endpoint(clinic, receiver.url())
    old_secret = endpoint.secret
    endpoint = rotate_secret(endpoint=endpoint)
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
    run_tasks()

    (received,) = receiver.received
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, endpoint.secret):
        Webhook(secret).verify(received.body, received.headers)


def test_after_the_grace_period_only_the_new_secret_signs(
    local_webhooks, clinic, receiver, run_tasks
):
    endpoint = rotate_secret(endpoint=make_endpoint(clinic, receiver.url()))
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
    run_tasks()

    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 1


def test_a_500_is_retried_and_the_log_keeps_both_attempts(
    local_webhooks, clinic, clinic_admin, receiver, client_for, run_tasks
):
    receiver.answers.extend([500])
    endpoint = make_endpoint(clinic, receiver.url())
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    run_tasks()

    assert len(receiver.received) == 2
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(endpoint.secret).verify(second.body, second.headers)
    log = client_for(clinic_admin).get(f"{URL}{endpoint.pk}/deliveries/").json()
    (delivery,) = log["results"]
    assert (delivery["status"], delivery["attempt_count"]) == ("succeeded", 2)
    failed, succeeded = delivery["attempts"]
    assert (failed["attempt"], failed["status_code"], failed["succeeded"]) == (1, 500, False)
    assert failed["response_excerpt"] == "answered 500"
    assert failed["error"] == "The receiver answered 500."
    assert (succeeded["attempt"], succeeded["status_code"], succeeded["succeeded"]) == (
        2,
        200,
        True,
    )
    assert isinstance(succeeded["latency_ms"], int)
    # The worker did the retrying: one task row, attempted twice, successful.
    (task,) = DBTaskResult.objects.filter(task_path="webhooks.services.deliver_webhook")
    assert (task.status, len(task.worker_ids)) == ("SUCCESSFUL", 2)


def test_retries_wait_for_the_workers_backoff(
    settings, local_webhooks, clinic, receiver, run_tasks
):
    settings.TASK_RETRY_BASE_SECONDS = 60.0
    receiver.answers.extend([503])
    make_endpoint(clinic, receiver.url())
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    run_tasks()

    assert len(receiver.received) == 1
    task = DBTaskResult.objects.get(task_path="webhooks.services.deliver_webhook")
    assert task.status == "READY"
    assert task.run_after > timezone.now() + timedelta(seconds=25)
    assert WebhookDelivery.objects.get().status == "pending"


def test_a_4xx_is_not_retried(local_webhooks, clinic, receiver, run_tasks):
    receiver.default_status = 410
    make_endpoint(clinic, receiver.url())
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    run_tasks()

    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == "failed"


def test_a_refused_connection_is_retried_up_to_the_limit(
    local_webhooks, settings, clinic, receiver, run_tasks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    url = receiver.url()
    receiver.stop()  # nothing listens on the port any more
    endpoint = make_endpoint(clinic, url)
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    run_tasks()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempt_count) == ("failed", 3)
    errors = [a.error for a in delivery.attempts.order_by("attempt")]
    assert len(errors) == 3, errors
    assert all("ConnectionRefusedError" in error for error in errors), errors
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    # Given up by the task itself: the platform's dead-letter list stays for our own bugs.
    assert DBTaskResult.objects.get(task_path="webhooks.services.deliver_webhook").status == (
        "SUCCESSFUL"
    )


def test_a_run_of_failures_disables_the_endpoint_and_mails_the_clinic_admins(
    local_webhooks, settings, clinic, clinic_admin, receiver, run_tasks, outbox
):
    settings.WEBHOOK_MAX_CONSECUTIVE_FAILURES = 3
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.default_status = 500
    endpoint = make_endpoint(clinic, receiver.url())
    for _ in range(3):
        queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
        run_tasks()

    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert endpoint.consecutive_failures == 3
    assert endpoint.disabled_reason == "3 deliveries failed in a row."
    assert endpoint.disabled_at is not None
    assert len(receiver.received) == 6  # 3 deliveries x 2 attempts
    (mail,) = outbox
    assert mail.to == [clinic_admin.email]
    assert endpoint.url in mail.body
    assert "Mitte Health" in mail.subject

    # Disabled: new events queue nothing, and nothing more is sent.
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
    run_tasks()
    assert len(receiver.received) == 6
    assert WebhookDelivery.objects.count() == 3


def test_a_success_ends_the_run_of_failures(local_webhooks, settings, clinic, receiver, run_tasks):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answers.extend([500, 500])
    endpoint = make_endpoint(clinic, receiver.url())
    for _ in range(3):
        queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
        run_tasks()
        endpoint.refresh_from_db()

    assert endpoint.consecutive_failures == 0
    assert endpoint.enabled is True


def test_manual_redelivery_sends_the_same_message_again(
    local_webhooks, settings, clinic, clinic_admin, receiver, client_for, run_tasks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answers.extend([500])
    endpoint = make_endpoint(clinic, receiver.url())
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
    run_tasks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    client = client_for(clinic_admin)

    response = client.post(f"{URL}{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    again = client.post(f"{URL}{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "webhook_delivery_pending"
    run_tasks()

    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)
    assert [a.manual for a in delivery.attempts.all()] == [False, True]


def test_redelivery_to_a_disabled_endpoint_is_refused(client_for, clinic, clinic_admin):
    endpoint = make_endpoint(clinic, "https://93.184.215.14/x", enabled=False)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="slot.created", payload={}, status="failed"
    )

    response = client_for(clinic_admin).post(
        f"{URL}{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "webhook_endpoint_disabled"


def test_a_task_that_runs_twice_sends_once(local_webhooks, clinic, receiver, run_tasks):
    make_endpoint(clinic, receiver.url())
    (delivery,) = queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
    deliver_webhook.enqueue(delivery_id=str(delivery.pk))  # a duplicate run

    run_tasks()

    assert len(receiver.received) == 1


def test_deleting_the_endpoint_cancels_what_was_queued(local_webhooks, clinic, receiver, run_tasks):
    endpoint = make_endpoint(clinic, receiver.url())
    (delivery,) = queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})
    assert _queued_delivery_tasks() == [str(delivery.pk)]
    endpoint.delete()

    assert run_tasks() == 1  # the queued task ran, and found nothing to send

    assert receiver.received == []


def test_disabling_the_endpoint_stops_what_was_queued(
    local_webhooks, clinic, clinic_admin, receiver, client_for, run_tasks
):
    endpoint = make_endpoint(clinic, receiver.url())
    kept = make_endpoint(clinic, receiver.url("/kept"))
    delivery, other = queue_event(
        clinic_id=clinic.pk, event_type="slot.created", data={"slots": []}
    )
    if delivery.endpoint_id != endpoint.pk:
        delivery, other = other, delivery
    assert sorted(_queued_delivery_tasks()) == sorted([str(delivery.pk), str(other.pk)])
    assert delivery.event_type == "slot.created"
    assert set(delivery.payload) == {"type", "timestamp", "data"}
    response = client_for(clinic_admin).patch(
        f"{URL}{endpoint.pk}/", {"enabled": False}, format="json"
    )
    assert response.status_code == 200, response.content

    assert run_tasks() == 2

    # Only the disabled endpoint's delivery was abandoned; the other endpoint's went out.
    assert [r.path for r in receiver.received] == ["/kept"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("failed", 0)
    other.refresh_from_db()
    assert (other.endpoint_id, other.status) == (kept.pk, "succeeded")


def _queued_delivery_tasks() -> list[str]:
    tasks = DBTaskResult.objects.filter(
        task_path="webhooks.services.deliver_webhook", status="READY"
    )
    return [task.args_kwargs["kwargs"]["delivery_id"] for task in tasks]


@pytest.mark.parametrize("status", [408, 429])
def test_a_408_or_429_is_retried(local_webhooks, clinic, receiver, run_tasks, status):
    receiver.answers.extend([status])
    make_endpoint(clinic, receiver.url())
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    run_tasks()

    assert len(receiver.received) == 2
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)
    first = delivery.attempts.get(attempt=1)
    assert (first.status_code, first.succeeded) == (status, False)


def test_a_name_that_does_not_resolve_is_retried(local_webhooks, settings, clinic, run_tasks):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    # .invalid never resolves (RFC 2606): the lookup fails at every attempt.
    make_endpoint(clinic, "http://no-such-receiver.invalid/hooks")
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    assert run_tasks() == 2  # the first attempt, and the worker's retry of it

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("failed", 2)
    errors = [a.error for a in delivery.attempts.order_by("attempt")]
    assert errors == ["The host no-such-receiver.invalid does not resolve."] * 2


def test_attempts_stop_at_the_cap_of_the_task_worker(
    local_webhooks, settings, clinic, receiver, run_tasks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 8
    settings.TASK_MAX_ATTEMPTS = 4  # the lower of the two caps wins
    receiver.default_status = 503
    make_endpoint(clinic, receiver.url())
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    run_tasks()

    assert len(receiver.received) == 4
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("failed", 4)
    assert DBTaskResult.objects.get(task_path="webhooks.services.deliver_webhook").status == (
        "SUCCESSFUL"
    )


def test_only_subscribed_enabled_endpoints_of_the_clinic_receive_an_event(clinic, booked):
    wanted = make_endpoint(clinic, "https://93.184.215.14/a", events=["appointment.cancelled"])
    make_endpoint(clinic, "https://93.184.215.14/b", events=["appointment.booked"])
    make_endpoint(clinic, "https://93.184.215.14/c", enabled=False)
    make_endpoint(AppointmentFactory().clinic, "https://93.184.215.14/d")

    cancel_appointment(appointment=booked, cancelled_by=booked.doctor.user, reason="Ill")

    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.endpoint == wanted
    assert delivery.payload["type"] == "appointment.cancelled"
    assert delivery.payload["data"]["appointment"]["status"] == "cancelled"


def test_a_rolled_back_change_announces_nothing(clinic, booked):
    make_endpoint(clinic, "https://93.184.215.14/a")

    def cancel_then_fail():
        with transaction.atomic():
            cancel_appointment(appointment=booked, cancelled_by=booked.doctor.user)
            assert WebhookDelivery.objects.count() == 1
            raise RuntimeError("the request failed after the cancellation")

    with pytest.raises(RuntimeError):
        cancel_then_fail()

    assert not WebhookDelivery.objects.exists()
    assert not DBTaskResult.objects.filter(task_path="webhooks.services.deliver_webhook").exists()


def _events(clinic) -> list[dict]:
    return [d.payload for d in WebhookDelivery.objects.order_by("created_at", "event_type")]


def test_each_service_sends_its_event_without_medical_data(clinic, clinic_admin, booked):
    make_endpoint(clinic, "https://93.184.215.14/a")
    started = AppointmentFactory(slot__clinic=clinic, slot__start=in_hours(-0.5))
    no_show = AppointmentFactory(slot__clinic=clinic, slot__start=in_hours(-1))
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)

    from appointments.payments import change_payment_status

    change_payment_status(appointment=booked, to_status="paid", source="staff", actor=clinic_admin)
    record_outcome(appointment=started, status="completed")
    record_outcome(appointment=no_show, status="no_show")
    slot = create_slot(doctor=doctor, clinic=clinic, start=in_hours(50), end=in_hours(50.5))
    delete_slot(slot=slot)

    events = _events(clinic)
    assert [e["type"] for e in events] == [
        "payment.status_changed",
        "appointment.completed",
        "appointment.no_show",
        "slot.created",
        "slot.removed",
    ]
    payment = events[0]["data"]
    assert (payment["old_status"], payment["new_status"]) == ("pending", "paid")
    assert payment["appointment"]["payment_status"] == "paid"
    assert events[3]["data"]["slots"][0]["id"] == str(slot.pk)
    assert events[4]["data"]["slots"][0]["id"] == str(slot.pk)
    text = json.dumps(events)
    for private in ("Chest pain", booked.patient.user.email, booked.patient.user.last_name):
        assert private not in text
    assert set(events[1]["data"]["appointment"]) == {
        "id",
        "status",
        "payment_status",
        "slot_id",
        "doctor_id",
        "clinic_id",
        "patient_id",
        "start",
        "end",
        "visit_type_id",
        "modality",
    }


def test_a_template_sends_one_slot_created_event_with_all_its_slots(clinic):
    from scheduling.services import create_slots_from_template

    make_endpoint(clinic, "https://93.184.215.14/a", events=["slot.created"])
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    start = in_hours(24 * 10)
    result = create_slots_from_template(
        doctor=doctor,
        clinic=clinic,
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        start_time=start.time().replace(hour=9, minute=0, second=0, microsecond=0),
        end_time=start.time().replace(hour=10, minute=0, second=0, microsecond=0),
        slot_minutes=30,
        break_minutes=0,
        date_from=start.date(),
        date_to=start.date() + timedelta(days=1),
    )

    (delivery,) = WebhookDelivery.objects.all()
    assert len(delivery.payload["data"]["slots"]) == len(result.created) == 4


def test_a_reschedule_becomes_an_appointment_rescheduled_event(clinic, booked, client_for):
    make_endpoint(clinic, "https://93.184.215.14/a", events=["appointment.rescheduled"])
    previous_slot_id = booked.slot_id
    target = SlotFactory(doctor=booked.doctor, clinic=clinic, start=in_hours(72))

    # A real reschedule by the patient, through the API and the reschedule service.
    response = client_for(booked.patient.user).post(
        f"/api/v1/appointments/{booked.pk}/reschedule/", {"slot": str(target.pk)}
    )
    assert response.status_code == 200, response.content

    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["type"] == "appointment.rescheduled"
    assert delivery.payload["data"]["previous_slot_id"] == str(previous_slot_id)
    appointment = delivery.payload["data"]["appointment"]
    assert (appointment["id"], appointment["slot_id"]) == (str(booked.pk), str(target.pk))

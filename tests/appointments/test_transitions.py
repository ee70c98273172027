from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from appointments.services import book_appointment
from patients.permissions import patients_treated_by
from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import PatientFactory, SlotFactory, clinic_admin_of, user_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


@pytest.fixture
def booked(run_tasks, outbox):
    slot = SlotFactory(start=timezone.now() + timedelta(days=3))
    appointment = book_appointment(patient=PatientFactory(), slot_id=slot.pk).appointment
    run_tasks()  # its confirmation: each test then sees only the mail its own action causes
    outbox.clear()
    return appointment


def cancel(client, appointment, **body):
    return client.post(f"{URL}{appointment.pk}/cancel/", body)


def test_patient_cancels_before_the_cutoff_and_the_doctor_is_emailed(
    client_for, booked, outbox, run_tasks
):
    response = cancel(client_for(booked.patient.user), booked, reason="Feeling better")
    assert response.status_code == 200, response.content
    run_tasks()
    body = response.json()
    assert (body["status"], body["cancellation_reason"]) == ("cancelled", "Feeling better")
    assert body["cancelled_by"] == str(booked.patient.user_id)
    assert Slot.objects.get(pk=booked.slot_id).status == "available"
    assert [m.to for m in outbox] == [[booked.doctor.user.email]]
    assert booked.patient not in patients_treated_by(booked.doctor.user)


def test_patient_may_cancel_exactly_at_the_cutoff_but_not_a_second_later(client_for, booked):
    client = client_for(booked.patient.user)
    cutoff = booked.start - timedelta(hours=24)
    with time_machine.travel(cutoff + timedelta(seconds=1), tick=False):
        assert_error(cancel(client, booked), 409, "cancellation_window_closed")
    with time_machine.travel(cutoff, tick=False):
        assert cancel(client, booked).status_code == 200


def test_doctor_and_clinic_admin_may_cancel_inside_the_cutoff(
    client_for, booked, outbox, run_tasks
):
    with time_machine.travel(booked.start - timedelta(hours=1), tick=False):
        response = cancel(client_for(booked.doctor.user), booked, reason="Ill")
        run_tasks()
    assert response.status_code == 200
    assert [m.to for m in outbox] == [[booked.patient.user.email]]

    other = book_appointment(patient=PatientFactory(), slot_id=booked.slot_id).appointment
    admin = clinic_admin_of(booked.clinic)
    with time_machine.travel(other.start - timedelta(minutes=5), tick=False):
        assert cancel(client_for(admin), other).status_code == 200


def test_nobody_cancels_after_the_start_or_twice(client_for, booked):
    with time_machine.travel(booked.start, tick=False):
        assert_error(cancel(client_for(booked.doctor.user), booked), 409, "appointment_started")
    assert cancel(client_for(booked.doctor.user), booked).status_code == 200
    assert_error(cancel(client_for(booked.patient.user), booked), 409, "invalid_transition")


def test_cancel_reason_is_limited(client_for, booked):
    response = cancel(client_for(booked.patient.user), booked, reason="x" * 501)
    assert_error(response, 400, "max_length", attr="reason")


@pytest.mark.parametrize(("action", "status"), [("complete", "completed"), ("no-show", "no_show")])
def test_doctor_records_the_outcome_only_after_the_start(
    client_for, booked, action, status, outbox, run_tasks
):
    client = client_for(booked.doctor.user)
    path = f"{URL}{booked.pk}/{action}/"
    assert_error(client.post(path), 409, "appointment_not_started")
    with time_machine.travel(booked.start + timedelta(minutes=1), tick=False):
        response = client.post(path)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
        assert_error(client.post(f"{URL}{booked.pk}/complete/"), 409, "invalid_transition")
        assert_error(cancel(client, booked), 409, "invalid_transition")
        run_tasks()
    assert [m.to for m in outbox] == [[booked.patient.user.email]]
    assert booked.patient in patients_treated_by(booked.doctor.user)


def test_only_the_appointments_doctor_records_outcomes(client_for, booked):
    other_doctor = SlotFactory().doctor
    with time_machine.travel(booked.start + timedelta(minutes=1), tick=False):
        assert_error(
            client_for(other_doctor.user).post(f"{URL}{booked.pk}/complete/"), 404, "not_found"
        )
        assert_error(
            client_for(booked.patient.user).post(f"{URL}{booked.pk}/complete/"),
            403,
            "permission_denied",
        )
        platform = user_with_role("platform_admin")
        assert_error(
            client_for(platform).post(f"{URL}{booked.pk}/complete/"), 403, "permission_denied"
        )

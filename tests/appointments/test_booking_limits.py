from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.services import book_appointment, cancel_appointment
from tests.errors import assert_error
from tests.factories import AppointmentFactory, PatientFactory, SlotFactory, in_hours

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def test_active_future_bookings_are_capped(client_for, settings):
    settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT = 3
    patient = PatientFactory()
    for index in range(3):
        book_appointment(patient=patient, slot_id=SlotFactory(start=in_hours(30 + 2 * index)).pk)
    AppointmentFactory(patient=patient, slot__start=in_hours(-30), status="completed")
    client = client_for(patient.user)
    response = client.post(URL, {"slot": str(SlotFactory(start=in_hours(50)).pk)})
    assert_error(response, 409, "too_many_active_bookings")
    first = patient.appointments.filter(status="booked").first()
    assert client.post(f"{URL}{first.pk}/cancel/").status_code == 200
    assert client.post(URL, {"slot": str(SlotFactory(start=in_hours(60)).pk)}).status_code == 201


def test_cancel_and_rebook_churn_is_limited(client_for, settings):
    settings.MAX_PATIENT_CANCELLATIONS_PER_DAY = 2
    patient = PatientFactory()
    for index in range(2):
        booked = book_appointment(
            patient=patient, slot_id=SlotFactory(start=in_hours(40 + index)).pk
        )
        cancel_appointment(appointment=booked.appointment, cancelled_by=patient.user)
    response = client_for(patient.user).post(URL, {"slot": str(SlotFactory(start=in_hours(70)).pk)})
    assert_error(response, 409, "booking_churn_limit")


def test_cancellations_by_the_doctor_do_not_count_as_churn(client_for, settings):
    settings.MAX_PATIENT_CANCELLATIONS_PER_DAY = 1
    patient = PatientFactory()
    booked = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(40)).pk
    ).appointment
    cancel_appointment(appointment=booked, cancelled_by=booked.doctor.user)
    response = client_for(patient.user).post(URL, {"slot": str(SlotFactory(start=in_hours(70)).pk)})
    assert response.status_code == 201


def test_churn_window_is_a_day(client_for, settings):
    settings.MAX_PATIENT_CANCELLATIONS_PER_DAY = 1
    patient = PatientFactory()
    booked = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(40)).pk
    ).appointment
    cancel_appointment(appointment=booked, cancelled_by=patient.user)
    type(booked).objects.filter(pk=booked.pk).update(
        cancelled_at=timezone.now() - timedelta(hours=25)
    )
    response = client_for(patient.user).post(URL, {"slot": str(SlotFactory(start=in_hours(70)).pk)})
    assert response.status_code == 201

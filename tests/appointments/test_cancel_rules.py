"""The rules of a cancellation that `make mutate` showed no test pinned: the cutoff's own
message, who the money refund is recorded against and where it says it came from, and when a
doctor keeps access to a patient. (The points refund's actor: tests/loyalty/test_points.py.)"""

from datetime import timedelta

import pytest
import time_machine

from appointments.models import PaymentEvent
from appointments.payments import change_payment_status
from appointments.services import book_appointment
from patients.permissions import patients_treated_by
from tests.errors import assert_error
from tests.factories import PatientFactory, SlotFactory, in_hours

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def cancel(client, appointment):
    return client.post(f"{URL}{appointment.pk}/cancel/")


def test_the_closed_window_says_how_many_hours_ahead(client_for, settings):
    settings.CANCELLATION_CUTOFF_HOURS = 24
    appointment = book_appointment(
        patient=PatientFactory(), slot_id=SlotFactory(start=in_hours(72)).pk
    ).appointment
    with time_machine.travel(appointment.start - timedelta(hours=2), tick=False):
        response = cancel(client_for(appointment.patient.user), appointment)
    assert_error(response, 409, "cancellation_window_closed")
    assert [e["detail"] for e in response.json()["errors"]] == [
        "Appointments can be cancelled up to 24 hours before they start."
    ]


def test_the_doctor_calling_off_a_paid_visit_refunds_it_in_their_name(client_for):
    appointment = book_appointment(
        patient=PatientFactory(), slot_id=SlotFactory(start=in_hours(72)).pk
    ).appointment
    change_payment_status(appointment=appointment, to_status="paid", source="staff")
    doctor = appointment.doctor.user
    response = cancel(client_for(doctor), appointment)
    assert response.status_code == 200, response.content
    assert response.json()["payment_status"] == "refunded"
    refund = PaymentEvent.objects.get(appointment=appointment, to_status="refunded")
    assert (refund.from_status, refund.source, refund.actor, refund.reference) == (
        "paid",
        "staff",
        doctor,
        "cancelled by the doctor or clinic",
    )


def test_the_doctor_keeps_a_patient_while_another_of_their_visits_stands(client_for):
    patient, other_patient = PatientFactory(), PatientFactory()
    first = book_appointment(patient=patient, slot_id=SlotFactory(start=in_hours(72)).pk)
    doctor = first.appointment.doctor
    second = book_appointment(
        patient=patient, slot_id=SlotFactory(doctor=doctor, start=in_hours(96)).pk
    )
    book_appointment(
        patient=other_patient, slot_id=SlotFactory(doctor=doctor, start=in_hours(120)).pk
    )
    client = client_for(patient.user)

    assert cancel(client, first.appointment).status_code == 200
    assert patient in patients_treated_by(doctor.user)  # the second visit stands
    assert cancel(client, second.appointment).status_code == 200
    # Another patient's visit with the same doctor keeps nothing of this patient's.
    assert patient not in patients_treated_by(doctor.user)
    assert other_patient in patients_treated_by(doctor.user)

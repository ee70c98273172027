"""Cancellations racing each other and the appointment's outcome: real threads, real PostgreSQL
connections, the HTTP stack. Whatever the order, the end state is one a serial order gives:
one cancellation, one refund of points or money, never a cancelled appointment that also
earned points. The appointment's row lock (`appointments.services._lock`) decides."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine

from appointments.models import Appointment, PaymentEvent
from appointments.payments import change_payment_status
from appointments.services import book_appointment
from loyalty.models import PointsKind, PointsTransaction
from loyalty.selectors import balance_of, ledger_sum
from loyalty.services import adjust_points
from tests.concurrency.race import error_codes, post_as, run_together
from tests.factories import (
    AssociationFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    clinic_admin_of,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3


def booked_with(doctor, clinic, start, *, points: int = 0):
    patient = PatientFactory()
    if points:
        adjust_points(
            patient=patient, amount=points, reason="gift", actor=user_with_role("platform_admin")
        )
    slot = SlotFactory(doctor=doctor, clinic=clinic, start=start)
    return book_appointment(patient=patient, slot_id=slot.pk, use_points=bool(points)).appointment


def cancel(who, appointment):
    return post_as(who, f"/api/v1/appointments/{appointment.pk}/cancel/")


def test_patient_doctor_and_clinic_cancelling_at_once_refund_the_points_once(settings):
    points = settings.POINTS_FOR_FREE_BOOKING
    doctor = DoctorFactory()
    clinic = AssociationFactory(doctor=doctor).clinic
    clinic_admin = clinic_admin_of(clinic)
    for round_number in range(ROUNDS):
        appointment = booked_with(doctor, clinic, in_hours(72 + round_number), points=points)
        patient = appointment.patient
        assert balance_of(patient) == 0
        results = run_together(
            [
                cancel(patient, appointment),
                cancel(doctor, appointment),
                cancel(clinic_admin, appointment),
            ]
        )
        assert Counter(results) == {200: 1, 409: 2}, results
        assert error_codes(results) == {"invalid_transition"}
        refunds = PointsTransaction.objects.filter(
            appointment=appointment, kind=PointsKind.REFUNDED
        )
        assert refunds.count() == 1
        assert balance_of(patient) == ledger_sum(patient) == points
        assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"


def test_doctor_and_clinic_cancelling_a_paid_appointment_at_once_refund_it_once():
    doctor = DoctorFactory()
    clinic = AssociationFactory(doctor=doctor).clinic
    clinic_admin = clinic_admin_of(clinic)
    for round_number in range(ROUNDS):
        appointment = booked_with(doctor, clinic, in_hours(72 + round_number))
        change_payment_status(appointment=appointment, to_status="paid", source="staff")
        results = run_together([cancel(doctor, appointment), cancel(clinic_admin, appointment)])
        assert sorted(results) == [200, 409], results
        assert error_codes(results) == {"invalid_transition"}
        events = PaymentEvent.objects.filter(appointment=appointment)
        assert list(events.order_by("created_at").values_list("to_status", flat=True)) == [
            "paid",
            "refunded",
        ]


def test_a_cancel_racing_the_outcome_at_the_start_ends_as_one_of_them(settings):
    """The clinic cancels while the doctor records the outcome, the clock crossing the start
    between them: either cancelled (points back, none earned) or completed (points kept and
    earned), never both."""
    points = settings.POINTS_FOR_FREE_BOOKING
    doctor = DoctorFactory()
    clinic = AssociationFactory(doctor=doctor).clinic
    clinic_admin = clinic_admin_of(clinic)
    outcomes = Counter()
    for round_number in range(ROUNDS * 2):
        appointment = booked_with(doctor, clinic, in_hours(72 + round_number), points=points)
        complete = post_as(doctor, f"/api/v1/appointments/{appointment.pk}/complete/")
        with time_machine.travel(appointment.start - timedelta(milliseconds=2), tick=True):
            cancelled, completed = run_together([cancel(clinic_admin, appointment), complete])
        appointment.refresh_from_db()
        patient = appointment.patient
        kinds = Counter(
            PointsTransaction.objects.filter(appointment=appointment).values_list("kind", flat=True)
        )
        if appointment.status == "cancelled":
            assert (cancelled, completed) == (200, 409), (cancelled, completed)
            assert completed.error_code in {"invalid_transition", "appointment_not_started"}
            assert kinds == {PointsKind.REDEEMED: 1, PointsKind.REFUNDED: 1}
            assert balance_of(patient) == ledger_sum(patient) == points
        else:
            assert appointment.status == "completed"
            assert completed == 200, (cancelled, completed)
            assert cancelled == 409
            assert cancelled.error_code in {
                "invalid_transition",
                "appointment_started",
            }
            assert kinds == {PointsKind.REDEEMED: 1, PointsKind.EARNED: 1}
            earned = settings.POINTS_PER_COMPLETED_APPOINTMENT
            assert balance_of(patient) == ledger_sum(patient) == earned
        outcomes[appointment.status] += 1
    print(outcomes)

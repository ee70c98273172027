"""The balance never goes negative and the ledger always sums to it, however bookings with
points, admin adjustments and completions race. Real threads, real PostgreSQL connections, the
HTTP stack. Bookings also lock the patient's row, so the races that check the points account's
own lock (`loyalty.services._locked_account`) pit writers against one that does not."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine

from appointments.services import InvalidTransition, book_appointment, record_outcome
from loyalty.selectors import balance_of, ledger_sum
from loyalty.services import InsufficientPoints, adjust_points
from tests.concurrency.race import error_codes, post_as, run_together
from tests.concurrency.test_booking_race import URL
from tests.factories import (
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db(transaction=True)

ADJUST_URL = "/api/v1/points/adjustments/"


def patient_with_points(points: int, admin):
    patient = PatientFactory()
    adjust_points(patient=patient, amount=points, reason="gift", actor=admin)
    return patient


def test_ten_parallel_point_bookings_with_points_for_one(settings):
    admin = user_with_role("platform_admin")
    patient = patient_with_points(settings.POINTS_FOR_FREE_BOOKING, admin)
    doctor, clinic = DoctorFactory(), ClinicFactory()
    slots = [
        SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(50 + 2 * i)) for i in range(10)
    ]
    statuses = run_together(
        [post_as(patient, URL, {"slot": str(slot.pk), "use_points": True}) for slot in slots]
    )
    assert Counter(statuses) == {201: 1, 409: 9}, statuses
    assert error_codes(statuses) == {"insufficient_points"}
    assert balance_of(patient) == ledger_sum(patient) == 0
    assert patient.appointments.count() == 1


def test_parallel_admin_debits_of_the_whole_balance_leave_one_winner_five_times(settings):
    """Nothing but the account's row lock orders these: without it each debit reads the same
    balance, all pass the check, and the cached balance loses updates the ledger keeps."""
    admin = user_with_role("platform_admin")
    points = settings.POINTS_FOR_FREE_BOOKING
    for _ in range(5):
        patient = patient_with_points(points, admin)
        body = {"patient": str(patient.pk), "amount": -points, "reason": "fraud"}
        statuses = run_together([post_as(admin, ADJUST_URL, body) for _ in range(8)])
        assert Counter(statuses) == {201: 1, 409: 7}, statuses
        assert error_codes(statuses) == {"insufficient_points"}
        assert balance_of(patient) == ledger_sum(patient) == 0


def test_an_admin_debit_racing_a_booking_with_points_never_overdraws_five_times(settings):
    admin = user_with_role("platform_admin")
    points = settings.POINTS_FOR_FREE_BOOKING
    doctor, clinic = DoctorFactory(), ClinicFactory()
    outcomes = Counter()
    for round_number in range(5):
        patient = patient_with_points(points, admin)
        slot = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(50 + round_number))
        debit = {"patient": str(patient.pk), "amount": -points, "reason": "fraud"}
        booking, *debits = run_together(
            [post_as(patient, URL, {"slot": str(slot.pk), "use_points": True})]
            + [post_as(admin, ADJUST_URL, debit) for _ in range(3)]
        )
        results = [booking, *debits]
        assert Counter(results) == {201: 1, 409: 3}, results
        assert error_codes(results) == {"insufficient_points"}
        assert balance_of(patient) == ledger_sum(patient) == 0
        # A booking that lost its points is undone whole: no appointment without them.
        assert patient.appointments.count() == (1 if booking == 201 else 0)
        outcomes["booking won" if booking == 201 else "debit won"] += 1
    print(outcomes)


def test_parallel_completion_awards_points_once():
    patient = PatientFactory()
    appointment = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(30)).pk
    ).appointment
    with time_machine.travel(appointment.start + timedelta(minutes=40)):
        results = run_together(
            [lambda: record_outcome(appointment=appointment, status="completed") for _ in range(5)]
        )
    losers = [result for result in results if isinstance(result, Exception)]
    assert len(losers) == 4, results
    assert all(isinstance(loser, InvalidTransition) for loser in losers), losers
    assert balance_of(patient) == ledger_sum(patient) == 10


def test_parallel_admin_debits_through_the_service_raise_the_domain_error(settings):
    admin = user_with_role("platform_admin")
    patient = patient_with_points(settings.POINTS_FOR_FREE_BOOKING, admin)
    amount = -settings.POINTS_FOR_FREE_BOOKING
    results = run_together(
        [
            lambda: adjust_points(patient=patient, amount=amount, reason="x", actor=admin)
            for _ in range(6)
        ]
    )
    losers = [result for result in results if isinstance(result, Exception)]
    assert len(losers) == 5, results
    assert all(isinstance(loser, InsufficientPoints) for loser in losers), losers
    assert balance_of(patient) == ledger_sum(patient) == 0

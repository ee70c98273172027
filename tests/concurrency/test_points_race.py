"""The balance never goes negative, even when bookings race for the same points."""

from collections import Counter

import pytest

from accounts.services import issue_tokens
from loyalty.selectors import balance_of, ledger_sum
from loyalty.services import adjust_points
from tests.concurrency.race import run_together
from tests.concurrency.test_booking_race import URL
from tests.conftest import CheckedAPIClient
from tests.factories import (
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_ten_parallel_point_bookings_with_points_for_one(settings):
    patient = PatientFactory()
    adjust_points(
        patient=patient,
        amount=settings.POINTS_FOR_FREE_BOOKING,
        reason="gift",
        actor=user_with_role("platform_admin"),
    )
    token = issue_tokens(user=patient.user)["access"]
    doctor, clinic = DoctorFactory(), ClinicFactory()
    slots = [
        SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(50 + 2 * i)) for i in range(10)
    ]

    def book(slot):
        def call():
            client = CheckedAPIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            return client.post(URL, {"slot": str(slot.pk), "use_points": True}).status_code

        return call

    statuses = run_together([book(slot) for slot in slots])
    assert Counter(statuses) == {201: 1, 409: 9}, statuses
    assert balance_of(patient) == 0
    assert ledger_sum(patient) == 0
    assert patient.appointments.count() == 1


def test_parallel_completion_awards_points_once():
    from datetime import timedelta

    import time_machine

    from appointments.services import book_appointment, record_outcome

    patient = PatientFactory()
    appointment = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(30)).pk
    ).appointment
    with time_machine.travel(appointment.start + timedelta(minutes=40)):
        results = run_together(
            [lambda: record_outcome(appointment=appointment, status="completed") for _ in range(5)]
        )
    assert sum(1 for result in results if not isinstance(result, Exception)) == 1
    assert balance_of(patient) == ledger_sum(patient) == 10

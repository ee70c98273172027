"""Double booking is impossible: real threads, real PostgreSQL connections, real HTTP stack."""

from collections import Counter
from datetime import timedelta

import pytest

from accounts.services import issue_tokens
from appointments.models import Appointment
from scheduling.models import Slot
from tests.concurrency.race import post_as, run_together
from tests.conftest import CheckedAPIClient
from tests.factories import ClinicFactory, DoctorFactory, PatientFactory, SlotFactory, in_hours

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/appointments/"
THREADS = 20


def booking_call(token: str, slot_id):
    return post_as(token, URL, {"slot": str(slot_id)})


def test_twenty_patients_racing_for_one_slot_exactly_one_wins_ten_times():
    tokens = [issue_tokens(user=PatientFactory().user)["access"] for _ in range(THREADS)]
    doctor, clinic = DoctorFactory(), ClinicFactory()
    for round_number in range(10):
        slot = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(48 + round_number))
        statuses = run_together([booking_call(token, slot.pk) for token in tokens])
        assert Counter(statuses) == {201: 1, 409: THREADS - 1}, statuses
        assert Appointment.objects.filter(slot=slot).count() == 1
        assert Slot.objects.get(pk=slot.pk).status == "booked"


def test_twenty_patients_booking_twenty_different_slots_all_succeed():
    tokens = [issue_tokens(user=PatientFactory().user)["access"] for _ in range(THREADS)]
    doctor, clinic = DoctorFactory(), ClinicFactory()
    slots = [
        SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(48 + i)) for i in range(THREADS)
    ]
    statuses = run_together(
        [booking_call(token, slot.pk) for token, slot in zip(tokens, slots, strict=True)]
    )
    assert statuses == [201] * THREADS
    assert Slot.objects.filter(status="booked").count() == THREADS


def test_one_patient_racing_for_two_overlapping_slots_gets_one_ten_times(settings):
    settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT = 100  # ten rounds leave ten active bookings
    patient = PatientFactory()
    token = issue_tokens(user=patient.user)["access"]
    for round_number in range(10):
        start = in_hours(100 + round_number * 2)
        first = SlotFactory(start=start)
        second = SlotFactory(start=start + timedelta(minutes=15))
        statuses = run_together([booking_call(token, first.pk), booking_call(token, second.pk)])
        assert sorted(statuses) == [201, 409], statuses
        booked = Appointment.objects.filter(patient=patient, slot__in=[first, second])
        assert booked.count() == 1
        assert Slot.objects.filter(pk__in=[first.pk, second.pk], status="booked").count() == 1


def test_same_idempotency_key_in_parallel_books_once():
    patient = PatientFactory()
    token = issue_tokens(user=patient.user)["access"]
    slot = SlotFactory()

    def call():
        client = CheckedAPIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY="retry-1")
        response = client.post(URL, {"slot": str(slot.pk)})
        return response.status_code, response.json()["id"]

    results = run_together([call for _ in range(5)])
    assert sorted(status for status, _ in results) == [200, 200, 200, 200, 201]
    assert len({appointment_id for _, appointment_id in results}) == 1
    assert Appointment.objects.filter(patient=patient).count() == 1

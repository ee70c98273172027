"""Edges of waitlist.services that `make mutate` showed no test pinned: the boundaries of
`entry_matches`, which entries are candidates for a slot, what leaving and booking close, and
when a freed slot is worth an offer task at all."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments.services import book_appointment
from scheduling.services import create_slot
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    in_hours,
)
from waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from waitlist.services import (
    drop_patient_who_booked,
    entry_matches,
    join_waitlist,
    leave_waitlist,
)

pytestmark = pytest.mark.django_db

OFFER_TASK = "waitlist.services.offer_slots"


@pytest.fixture
def doctor():
    doctor = DoctorFactory()
    doctor.clinic = AssociationFactory(doctor=doctor, clinic=ClinicFactory()).clinic
    return doctor


def day_ahead(days: int = 10):
    return timezone.now().date() + timedelta(days=days)


def local_slot(doctor, day, wall: time, clinic=None):
    clinic = clinic or doctor.clinic
    start = datetime.combine(day, wall, tzinfo=ZoneInfo(clinic.timezone))
    return create_slot(doctor=doctor, clinic=clinic, start=start, end=start + timedelta(minutes=30))


def open_offers():
    return list(
        WaitlistOffer.objects.filter(status=OfferStatus.OPEN).values_list("entry__patient", "slot")
    )


def test_entry_matches_at_its_bounds_and_clinic(doctor):
    day = day_ahead()
    slot = local_slot(doctor, day, time(9))
    entry = WaitlistEntry(patient=PatientFactory(), doctor=doctor)
    # Starting exactly at time_from and on date_from: inside.
    entry.time_from, entry.date_from = time(9), day
    assert entry_matches(entry, slot)
    entry.time_from = time(9, 1)
    assert not entry_matches(entry, slot)
    entry.time_from, entry.date_from = None, day + timedelta(days=1)
    assert not entry_matches(entry, slot)
    entry.date_from = None
    entry.clinic = doctor.clinic
    assert entry_matches(entry, slot)
    entry.clinic = ClinicFactory()
    assert not entry_matches(entry, slot)


def test_an_entry_at_the_slots_clinic_is_a_candidate(doctor, run_tasks):
    entry = join_waitlist(patient=PatientFactory(), doctor=doctor, clinic=doctor.clinic)
    slot = local_slot(doctor, day_ahead(), time(10))
    run_tasks()
    assert open_offers() == [(entry.patient_id, slot.pk)]


def test_a_lapsed_offer_of_another_slot_does_not_skip_the_patient(doctor, run_tasks):
    first, second = (join_waitlist(patient=PatientFactory(), doctor=doctor) for _ in range(2))
    earlier = local_slot(doctor, day_ahead(), time(10))
    run_tasks()
    assert open_offers() == [(first.patient_id, earlier.pk)]
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        run_tasks()  # the offer lapsed and went to the second patient
        assert open_offers() == [(second.patient_id, earlier.pk)]
        later = local_slot(doctor, day_ahead(11), time(10))
        run_tasks()
        # The first patient's only offer is closed and was for another slot: first in line.
        assert (first.patient_id, later.pk) in open_offers()
        # Leaving withdraws the open offer; the lapsed one stays as it was.
        leave_waitlist(entry=first)
    lapsed = WaitlistOffer.objects.get(entry=first, slot=earlier)
    assert lapsed.status == OfferStatus.LAPSED
    assert lapsed.closed_at is not None
    assert WaitlistOffer.objects.get(entry=first, slot=later).status == OfferStatus.WITHDRAWN


@pytest.mark.parametrize(
    ("minutes", "status", "skipped"),
    [
        (0, "booked", True),  # the same time
        (20, "booked", True),  # overlapping by 10 minutes
        (0, "cancelled", False),  # cancelled: no longer in the way
        (-30, "booked", False),  # ends exactly when the slot starts
        (30, "booked", False),  # starts exactly when the slot ends
    ],
)
def test_only_a_booked_overlapping_appointment_skips_a_patient(
    doctor, run_tasks, minutes, status, skipped
):
    day = day_ahead()
    first, second = (join_waitlist(patient=PatientFactory(), doctor=doctor) for _ in range(2))
    start = datetime.combine(day, time(10), tzinfo=ZoneInfo(doctor.clinic.timezone))
    cancelled_at = timezone.now() if status == "cancelled" else None
    AppointmentFactory(
        patient=first.patient,
        slot__start=start + timedelta(minutes=minutes),
        status=status,
        cancelled_at=cancelled_at,
    )
    slot = local_slot(doctor, day, time(10))
    run_tasks()
    offered = second if skipped else first
    assert open_offers() == [(offered.patient_id, slot.pk)]


def test_leaving_closes_only_ones_own_open_offer(doctor, run_tasks):
    first, second, third = (
        join_waitlist(patient=PatientFactory(), doctor=doctor) for _ in range(3)
    )
    one = local_slot(doctor, day_ahead(), time(10))
    two = local_slot(doctor, day_ahead(), time(11))
    run_tasks()
    assert sorted(open_offers()) == sorted(
        [(first.patient_id, one.pk), (second.patient_id, two.pk)]
    )
    leave_waitlist(entry=second)
    withdrawn = WaitlistOffer.objects.get(entry=second)
    assert withdrawn.status == OfferStatus.WITHDRAWN
    assert withdrawn.closed_at is not None
    assert WaitlistOffer.objects.get(entry=first).status == OfferStatus.OPEN
    run_tasks()
    assert (third.patient_id, two.pk) in open_offers()


def test_booking_drops_only_waiting_entries_and_says_how_many(doctor):
    patient = PatientFactory()
    assert drop_patient_who_booked(appointment=AppointmentFactory(patient=patient)) == 0
    entry = join_waitlist(patient=patient, doctor=doctor)
    appointment = AppointmentFactory(
        patient=patient, slot__doctor=doctor, slot__start=in_hours(100)
    )
    assert drop_patient_who_booked(appointment=appointment) == 1
    entry.refresh_from_db()
    assert entry.status == EntryStatus.BOOKED
    # An entry the patient left stays left when they book.
    left = leave_waitlist(entry=join_waitlist(patient=patient, doctor=doctor))
    slot = local_slot(doctor, day_ahead(20), time(10))
    book_appointment(patient=patient, slot_id=slot.pk)
    left.refresh_from_db()
    assert left.status == EntryStatus.LEFT


def test_a_freed_slot_makes_an_offer_task_only_if_someone_waits_for_that_doctor(doctor):
    other_doctor = DoctorFactory()
    join_waitlist(patient=PatientFactory(), doctor=other_doctor)  # waits for someone else
    leave_waitlist(entry=join_waitlist(patient=PatientFactory(), doctor=doctor))  # left
    local_slot(doctor, day_ahead(), time(10))
    assert not DBTaskResult.objects.filter(task_path=OFFER_TASK).exists()
    join_waitlist(patient=PatientFactory(), doctor=doctor)
    local_slot(doctor, day_ahead(), time(11))
    assert DBTaskResult.objects.filter(task_path=OFFER_TASK).count() == 1

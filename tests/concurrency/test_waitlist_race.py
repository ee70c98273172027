"""The waitlist under concurrency, on real PostgreSQL connections: slots freed at the same
moment go to the earliest waiting patients, one each; nobody is skipped or offered twice, and a
slot never has two open offers, however many workers and repeated tasks run at once."""

from collections import Counter

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.services import issue_tokens
from taskqueue.worker import run_ready_tasks
from tests.concurrency.race import post_as, run_together
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    in_hours,
)
from waitlist.models import OfferStatus, WaitlistOffer
from waitlist.services import join_waitlist, offer_slot

pytestmark = pytest.mark.django_db(transaction=True)


def doctor_with_waitlist(waiting: int):
    doctor = DoctorFactory()
    clinic = AssociationFactory(doctor=doctor, clinic=ClinicFactory()).clinic
    entries = [join_waitlist(patient=PatientFactory(), doctor=doctor) for _ in range(waiting)]
    return doctor, clinic, entries


def booked(doctor, clinic, count: int):
    return [
        AppointmentFactory(
            slot__doctor=doctor, slot__clinic=clinic, slot__start=in_hours(72 + 2 * i)
        )
        for i in range(count)
    ]


def cancel_call(token: str, appointment):
    return post_as(token, f"/api/v1/appointments/{appointment.pk}/cancel/")


def open_offers_by_entry(doctor) -> dict:
    offers = WaitlistOffer.objects.filter(slot__doctor=doctor, status=OfferStatus.OPEN)
    return dict(offers.values_list("entry_id", "slot_id"))


def test_concurrent_cancellations_go_to_the_earliest_patients_in_order_three_times():
    for _ in range(3):
        doctor, clinic, entries = doctor_with_waitlist(waiting=7)
        appointments = booked(doctor, clinic, count=4)
        token = issue_tokens(user=doctor.user)["access"]

        statuses = run_together([cancel_call(token, a) for a in appointments])
        assert statuses == [200] * 4
        # Four workers drain the offer tasks at once (claims use SKIP LOCKED): none raises,
        # each task runs exactly once, none fails, and nothing ready is left behind.
        finished_before = DBTaskResult.objects.filter(finished_at__isnull=False).count()
        ran = run_together([lambda i=i: run_ready_tasks(worker_id=f"w{i}") for i in range(4)])
        assert all(type(count) is int for count in ran), ran
        finished = DBTaskResult.objects.filter(finished_at__isnull=False).count()
        assert sum(ran) == finished - finished_before >= 4, ran
        assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()
        assert run_ready_tasks() == 0

        offers = open_offers_by_entry(doctor)
        assert set(offers) == {entry.pk for entry in entries[:4]}, "the first four, nobody else"
        assert sorted(offers.values()) == sorted(a.slot_id for a in appointments)
        assert WaitlistOffer.objects.filter(slot__doctor=doctor).count() == 4


def test_the_same_slot_offered_by_twenty_tasks_at_once_gets_one_offer():
    doctor, clinic, entries = doctor_with_waitlist(waiting=5)
    [appointment] = booked(doctor, clinic, count=1)
    appointment.slot.status = "available"
    appointment.slot.save()
    results = run_together([lambda: offer_slot(slot_id=appointment.slot_id) for _ in range(20)])
    made = [r for r in results if isinstance(r, WaitlistOffer)]
    assert len(made) == 1, results
    assert not [r for r in results if isinstance(r, Exception)], results
    assert open_offers_by_entry(doctor) == {entries[0].pk: appointment.slot_id}


def test_many_slots_offered_at_once_reach_distinct_patients_first_come_first_served():
    doctor, clinic, entries = doctor_with_waitlist(waiting=12)
    appointments = booked(doctor, clinic, count=8)
    for appointment in appointments:
        appointment.slot.status = "available"
        appointment.slot.save()
    calls = [
        (lambda slot_id=a.slot_id: offer_slot(slot_id=slot_id))
        for a in appointments
        for _ in (1, 2)
    ]
    results = run_together(calls)
    assert not [r for r in results if isinstance(r, Exception)], results
    offers = open_offers_by_entry(doctor)
    assert set(offers) == {entry.pk for entry in entries[:8]}
    assert Counter(offers.values()) == Counter(a.slot_id for a in appointments)

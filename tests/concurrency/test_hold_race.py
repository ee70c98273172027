"""One live hold per slot under a race: real threads, real PostgreSQL connections, the HTTP
stack. The slot's row lock decides; the exclusion constraint would catch anything it missed."""

from collections import Counter

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import issue_tokens
from scheduling.models import SlotHold
from tests.concurrency.race import error_codes, post_as, run_together
from tests.factories import ClinicFactory, DoctorFactory, PatientFactory, SlotFactory, in_hours

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def test_twenty_patients_holding_one_slot_get_one_hold_five_times():
    tokens = [issue_tokens(user=PatientFactory().user)["access"] for _ in range(THREADS)]
    doctor, clinic = DoctorFactory(), ClinicFactory()
    for round_number in range(5):
        slot = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(48 + round_number))
        results = run_together([post_as(t, f"/api/v1/slots/{slot.pk}/hold/") for t in tokens])
        assert Counter(results) == {201: 1, 409: THREADS - 1}, results
        assert error_codes(results) == {"slot_held"}
        assert SlotHold.objects.filter(slot=slot).count() == 1


def test_holds_and_bookings_racing_for_one_slot_leave_one_winner():
    """Ten patients hold while ten others book the same slot: either one booking and no live
    hold, or one hold and no booking."""
    tokens = [issue_tokens(user=PatientFactory().user)["access"] for _ in range(THREADS)]
    for round_number in range(5):
        slot = SlotFactory(start=in_hours(48 + round_number))
        calls = [
            post_as(t, f"/api/v1/slots/{slot.pk}/hold/")
            if i % 2
            else post_as(t, "/api/v1/appointments/", {"slot": str(slot.pk)})
            for i, t in enumerate(tokens)
        ]
        results = run_together(calls)
        assert Counter(results) == {201: 1, 409: THREADS - 1}, results
        slot.refresh_from_db()
        live = SlotHold.objects.filter(slot=slot, ends_at__gt=timezone.now()).count()
        assert (slot.status, live) in {("booked", 0), ("available", 1)}


def test_the_exclusion_constraint_alone_refuses_a_second_live_hold_across_connections():
    """Without the service's lock: two connections insert overlapping holds at once."""
    slot = SlotFactory(start=in_hours(48))
    patients = [PatientFactory() for _ in range(THREADS)]
    now = timezone.now()
    until = now + timezone.timedelta(minutes=10)

    def insert(patient):
        def call():
            try:
                with transaction.atomic():
                    SlotHold.objects.create(
                        slot=slot, patient=patient, held_at=now, expires_at=until, ends_at=until
                    )
                return "held"
            except IntegrityError:
                return "refused"

        return call

    results = run_together([insert(p) for p in patients])
    assert Counter(results) == {"held": 1, "refused": THREADS - 1}

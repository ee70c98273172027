"""Double booking stays impossible with visit types of mixed lengths and buffers: 50 clients
book mixed types over one afternoon at once, on real threads and real connections; the
exclusion constraint on a doctor's booked time with buffers is what decides (docs/scheduling.md).
"""

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from accounts.services import issue_tokens
from appointments.models import Appointment
from scheduling.models import Slot
from tests.concurrency.race import post_as, run_together
from tests.factories import (
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    VisitTypeFactory,
    in_hours,
)

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/appointments/"
CLIENTS = 50
ROUNDS = 10
SLOTS_PER_AFTERNOON = 10  # 13:00 to 18:00 in 30-minute slots

OVERLAPS = f"""
    SELECT count(*) FROM {Appointment._meta.db_table} a
    JOIN {Appointment._meta.db_table} b ON a.doctor_id = b.doctor_id AND a.id < b.id
    WHERE a.status = 'booked' AND b.status = 'booked'
    AND tstzrange(a.start - a.buffer_before_minutes * interval '1 minute',
                  a."end" + a.buffer_after_minutes * interval '1 minute')
     && tstzrange(b.start - b.buffer_before_minutes * interval '1 minute',
                  b."end" + b.buffer_after_minutes * interval '1 minute')
"""


def overlapping_pairs() -> int:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS)
        return cursor.fetchone()[0]


def test_fifty_clients_booking_mixed_types_over_one_afternoon_never_overlap(settings):
    settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT = 100
    doctor, clinic = DoctorFactory(), ClinicFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    types = [
        VisitTypeFactory(doctor=doctor, duration_minutes=15),
        VisitTypeFactory(doctor=doctor, duration_minutes=30, buffer_after_minutes=10),
        VisitTypeFactory(
            doctor=doctor, duration_minutes=20, buffer_before_minutes=10, buffer_after_minutes=5
        ),
    ]
    tokens = [issue_tokens(user=PatientFactory().user)["access"] for _ in range(CLIENTS)]
    chooser = random.Random(29)
    refused_by_buffers = 0
    for round_number in range(ROUNDS):
        afternoon = in_hours(24 * (3 + round_number)).replace(
            hour=13, minute=0, second=0, microsecond=0
        )
        slots = [
            SlotFactory(doctor=doctor, clinic=clinic, start=afternoon + timedelta(minutes=30 * i))
            for i in range(SLOTS_PER_AFTERNOON)
        ]
        picks = [(chooser.choice(slots), chooser.choice(types)) for _ in range(CLIENTS)]
        statuses = run_together(
            [
                post_as(token, URL, {"slot": str(slot.pk), "visit_type": str(kind.pk)})
                for token, (slot, kind) in zip(tokens, picks, strict=True)
            ]
        )
        counts = Counter(int(status) for status in statuses)
        assert set(counts) <= {201, 409}, statuses
        assert {status.error_code for status in statuses if status == 409} <= {"slot_unavailable"}
        booked = Appointment.objects.filter(slot__in=slots, status="booked")
        assert booked.count() == counts[201]
        assert (
            Slot.objects.filter(pk__in=[s.pk for s in slots], status="booked").count()
            == (counts[201])
        )
        assert overlapping_pairs() == 0, f"round {round_number}"
        # Slots nobody won although someone asked: a neighbour's buffer refused them.
        asked = {slot.pk for slot, _ in picks}
        refused_by_buffers += len(asked - set(booked.values_list("slot_id", flat=True)))
    # The buffers did refuse bookings the slots alone would have allowed: the constraint,
    # not the slots' own, decided those races.
    assert refused_by_buffers > 0

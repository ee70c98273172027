"""`manage.py seed_scale`: the bench data set is consistent by construction."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum

from accounts.models import User
from appointments.models import Appointment
from doctors.models import Doctor
from loyalty.models import PointsAccount, PointsTransaction
from patients.permissions import patients_treated_by
from reviews.models import Review
from scheduling.models import Slot

pytestmark = pytest.mark.django_db

SIZES = ["--doctors", "6", "--clinics", "3", "--patients", "40", "--slots", "600"]


def _seed(*extra: str) -> None:
    call_command("seed_scale", *SIZES, "--appointments", "200", "--no-vacuum", *extra)


def _one(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_seed_loads_the_sizes_asked_for():
    _seed()

    assert Doctor.objects.count() == 6
    assert Slot.objects.count() == 600
    assert Appointment.objects.count() == 200
    assert User.objects.filter(email__startswith="patient").count() == 40
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {"booked", "completed", "cancelled"} <= statuses


def test_seeded_data_keeps_every_invariant():
    _seed()

    active = Appointment.objects.exclude(status="cancelled")
    # Booked slots are exactly the slots of active appointments, one each.
    assert set(Slot.objects.filter(status="booked").values_list("id", flat=True)) == set(
        active.values_list("slot_id", flat=True)
    )
    assert not active.values("slot").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert (
        _one(
            """SELECT COUNT(*) FROM appointments_appointment a JOIN appointments_appointment b
           ON a.patient_id = b.patient_id AND a.id < b.id AND a.status <> 'cancelled'
           AND b.status <> 'cancelled' AND a.start < b."end" AND b.start < a."end" """
        )
        == 0
    )
    # Cached balances are the ledger sums; ratings are the visible reviews' exact average.
    for account in PointsAccount.objects.all():
        ledger = PointsTransaction.objects.filter(patient=account.patient).aggregate(
            total=Sum("amount")
        )
        assert account.balance == (ledger["total"] or 0)
    for doctor in Doctor.objects.all():
        ratings = list(
            Review.objects.filter(doctor=doctor, is_hidden=False).values_list("rating", flat=True)
        )
        assert doctor.review_count == len(ratings)
        if ratings:
            exact = Decimal(sum(ratings)) / len(ratings)
            assert doctor.average_rating == exact.quantize(Decimal("0.01"), ROUND_HALF_UP)
    # Doctors see exactly the patients they have an active appointment with.
    for doctor in Doctor.objects.select_related("user"):
        expected = set(active.filter(doctor=doctor).values_list("patient_id", flat=True))
        assert set(patients_treated_by(doctor.user).values_list("id", flat=True)) == expected


def test_seed_refuses_a_non_empty_database_unless_reset():
    _seed()

    with pytest.raises(CommandError, match="--reset"):
        _seed()
    _seed("--reset")

    assert Doctor.objects.count() == 6

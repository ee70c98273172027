from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from appointments.models import Appointment
from doctors.models import Doctor
from reviews.models import Review

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_reviewed_visits_once():
    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())
    assert Review.objects.count() == 3
    assert Appointment.objects.filter(status="completed").count() == 3
    figures = {
        doctor.user.email: (doctor.average_rating, doctor.review_count)
        for doctor in Doctor.objects.select_related("user")
    }
    assert figures["doctor@careslot.local"] == (Decimal("4.50"), 2)
    assert figures["heart@careslot.local"] == (Decimal("4.00"), 1)
    assert figures["skin@careslot.local"] == (None, 0)

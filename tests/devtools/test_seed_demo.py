from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Role, UserRole
from appointments.models import Appointment
from clinics.models import Clinic
from doctors.models import Doctor
from loyalty.models import PointsTransaction
from reviews.models import Review
from scheduling.models import Slot, VisitType

pytestmark = pytest.mark.django_db


def counts():
    return (
        UserRole.objects.count(),
        Clinic.objects.count(),
        Slot.objects.count(),
        PointsTransaction.objects.count(),
        Review.objects.count(),
        VisitType.objects.count(),
    )


def test_seed_demo_is_idempotent_and_covers_every_role(capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert set(UserRole.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(Clinic.objects.values_list("timezone", flat=True)) == {
        "Europe/Berlin",
        "America/New_York",
    }
    assert first[2] > 0
    assert "password for all" in capsys.readouterr().out


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


def test_seed_demo_books_upcoming_appointments_once():
    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())
    upcoming = Appointment.objects.filter(status="booked")
    assert upcoming.count() == 3
    assert Slot.objects.filter(status="booked").count() == 3


def test_the_demo_platform_admin_signs_in_as_the_seed_output_says(api_client, settings, capsys):
    import pyotp

    from devtools.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    login = {"email": "platform.admin@careslot.local", "password": DEMO_PASSWORD}
    settings.MFA_REQUIRED_ROLES = frozenset({Role.PLATFORM_ADMIN})
    call_command("seed_demo")
    assert f"TOTP secret {DEMO_TOTP_SECRET}" in capsys.readouterr().out
    challenge = api_client.post("/api/v1/auth/login/", login).json()["challenge"]
    code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    done = api_client.post("/api/v1/auth/login/mfa/", {"challenge": challenge, "code": code})
    assert done.status_code == 200, done.content

    # a harness that requires no second factor (CI) signs in with the password alone
    settings.MFA_REQUIRED_ROLES = frozenset()
    call_command("seed_demo")
    assert "TOTP secret" not in capsys.readouterr().out
    assert api_client.post("/api/v1/auth/login/", login).status_code == 200


def test_every_demo_doctor_offers_two_visit_types():
    call_command("seed_demo", stdout=StringIO())
    for doctor in Doctor.objects.all():
        offered = doctor.visit_types.order_by("duration_minutes")
        assert [(t.duration_minutes, t.modality) for t in offered] == [
            (15, "video"),
            (30, "in_person"),
        ]
        assert offered[1].price == doctor.consultation_fee

import pytest
from django.core.management import call_command

from accounts.models import Role, UserRole
from clinics.models import Clinic
from loyalty.models import PointsTransaction
from scheduling.models import Slot

pytestmark = pytest.mark.django_db


def counts():
    return (
        UserRole.objects.count(),
        Clinic.objects.count(),
        Slot.objects.count(),
        PointsTransaction.objects.count(),
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

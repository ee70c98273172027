"""Edges of the slot rules (scheduling/services.py) that `make mutate` showed no other test
pinned."""

from datetime import timedelta

import pytest

from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import AssociationFactory, DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/slots/"


@pytest.fixture
def doctor():
    doctor = DoctorFactory()
    doctor.clinic = AssociationFactory(doctor=doctor).clinic
    return doctor


def test_a_slot_stretched_over_its_own_old_times_does_not_overlap_itself(client_for, doctor):
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic)
    start, new_end = slot.start, slot.end + timedelta(minutes=15)
    response = client_for(doctor.user).patch(f"{URL}{slot.pk}/", {"end": new_end.isoformat()})
    assert response.status_code == 200, response.content
    slot.refresh_from_db()
    assert (slot.start, slot.end) == (start, new_end)


def test_moving_a_slot_onto_another_of_the_doctors_slots_is_an_overlap(client_for, doctor):
    slot = SlotFactory(doctor=doctor, clinic=doctor.clinic)
    other = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=slot.end + timedelta(hours=1))
    response = client_for(doctor.user).patch(
        f"{URL}{slot.pk}/", {"start": other.start.isoformat(), "end": other.end.isoformat()}
    )
    assert_error(response, 409, "slot_overlap")
    assert Slot.objects.get(pk=slot.pk).start == slot.start

"""Edges of the slot rules (scheduling/services.py) that `make mutate` showed no other test
pinned."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import AssociationFactory, SlotFactory, in_hours

pytestmark = pytest.mark.django_db

URL = "/api/v1/slots/"


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


def _publish(client, clinic, start, end):
    body = {"clinic": str(clinic.pk), "start": start.isoformat(), "end": end.isoformat()}
    return client.post(URL, body)


def _refused(response, attr, code, detail):
    assert_error(response, 400, code, attr=attr)
    assert response.json()["errors"][0]["detail"] == detail


NOT_ASSOCIATED = "You have no active association with this clinic."


def test_a_clinic_where_only_another_doctor_works_is_not_the_doctors(client_for, doctor):
    colleague_clinic = AssociationFactory().clinic
    start = in_hours(48)
    response = _publish(
        client_for(doctor.user), colleague_clinic, start, start + timedelta(minutes=30)
    )
    _refused(response, "clinic", "not_associated", NOT_ASSOCIATED)
    assert not Slot.objects.filter(doctor=doctor).exists()


def test_an_ended_association_or_a_closed_clinic_allows_no_slots(client_for, doctor):
    ended = AssociationFactory(doctor=doctor, is_active=False, ended_on=date(2025, 1, 1)).clinic
    closed = AssociationFactory(doctor=doctor, clinic__is_active=False).clinic
    start = in_hours(48)
    client = client_for(doctor.user)
    for clinic in (ended, closed):
        response = _publish(client, clinic, start, start + timedelta(minutes=30))
        _refused(response, "clinic", "not_associated", NOT_ASSOCIATED)
    assert not Slot.objects.filter(doctor=doctor).exists()


def test_a_slot_must_last_and_start_after_now(client_for, doctor):
    client = client_for(doctor.user)
    now = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    with time_machine.travel(now, tick=False):
        _refused(
            _publish(client, doctor.clinic, now + timedelta(hours=2), now + timedelta(hours=2)),
            "end",
            "end_before_start",
            "The end must be after the start.",
        )
        _refused(
            _publish(client, doctor.clinic, now, now + timedelta(minutes=30)),
            "start",
            "start_in_past",
            "The slot must start in the future.",
        )
    assert not Slot.objects.filter(doctor=doctor).exists()

"""The slot pages' row writer (`SlotListSerializer`) must give exactly what `SlotSerializer`
gives for one slot, in every zone, across DST changes and with odd start times."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.renderers import JSONRenderer

from scheduling.models import Slot
from scheduling.serializers import SlotListSerializer, SlotSerializer
from tests.factories import ClinicFactory, DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db

ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


NEXT_YEAR = datetime.now(UTC).year + 1
STARTS = [
    _last_sunday(NEXT_YEAR, 3) + timedelta(minutes=30),  # Europe springs forward at 01:00 UTC
    _last_sunday(NEXT_YEAR, 10) + timedelta(minutes=45),  # and falls back
    _last_sunday(NEXT_YEAR, 10) + timedelta(days=7, seconds=11825, microseconds=123456),
]


def _json(data) -> object:
    return json.loads(JSONRenderer().render(data))


def test_a_page_equals_each_slot_serialized_alone():
    doctor = DoctorFactory()
    for zone in ZONES:
        clinic = ClinicFactory(timezone=zone)
        for i, start in enumerate(STARTS):
            SlotFactory(
                doctor=doctor,
                clinic=clinic,
                start=start + timedelta(days=ZONES.index(zone)),
                end=start + timedelta(days=ZONES.index(zone), minutes=30 + i),
                status=["available", "booked", "blocked"][i],
            )
    slots = list(Slot.objects.select_related("doctor__user", "doctor__specialty", "clinic"))
    assert len(slots) == len(ZONES) * len(STARTS)
    page = SlotSerializer(slots, many=True)
    assert isinstance(page, SlotListSerializer)
    assert _json(page.data) == [_json(SlotSerializer(slot).data) for slot in slots]

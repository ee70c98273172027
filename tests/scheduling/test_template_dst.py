"""Templates are wall-clock times in the clinic's zone: 09:00 stays 09:00 across DST."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scheduling.services import template_times
from tests.errors import assert_error
from tests.factories import (
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    SlotFactory,
    template_body,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/slots/bulk/"
NOW = datetime(2021, 1, 4, 12, 0, tzinfo=UTC)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "before", "after", "utc_before", "utc_after"),
    [
        # Europe/Berlin: spring forward on Sunday 2021-03-28, fall back on Sunday 2021-10-31.
        (
            "Europe/Berlin",
            date(2021, 3, 26),
            date(2021, 3, 29),
            utc(2021, 3, 26, 8),
            utc(2021, 3, 29, 7),
        ),
        (
            "Europe/Berlin",
            date(2021, 10, 29),
            date(2021, 11, 1),
            utc(2021, 10, 29, 7),
            utc(2021, 11, 1, 8),
        ),
        # America/New_York: spring forward on 2021-03-14, fall back on 2021-11-07.
        (
            "America/New_York",
            date(2021, 3, 12),
            date(2021, 3, 15),
            utc(2021, 3, 12, 14),
            utc(2021, 3, 15, 13),
        ),
        (
            "America/New_York",
            date(2021, 11, 5),
            date(2021, 11, 8),
            utc(2021, 11, 5, 13),
            utc(2021, 11, 8, 14),
        ),
    ],
)
def test_template_keeps_local_time_across_dst(
    client_for, zone, before, after, utc_before, utc_after
):
    doctor = DoctorFactory()
    clinic = ClinicFactory(timezone=zone)
    AssociationFactory(doctor=doctor, clinic=clinic)
    body = template_body(clinic, before, after, weekdays=[before.weekday(), after.weekday()])
    with time_machine.travel(NOW, tick=False):
        response = client_for(doctor.user).post(URL, body)
    assert response.status_code == 201, response.content
    slots = response.json()["slots"]
    assert response.json()["created_count"] == 4
    starts = sorted(datetime.fromisoformat(s["start"].replace("Z", "+00:00")) for s in slots)
    assert starts[0] == utc_before
    assert starts[2] == utc_after
    local = [datetime.fromisoformat(s["start_local"]) for s in slots]
    assert sorted(moment.astimezone(ZoneInfo(zone)).time() for moment in local) == [
        time(9),
        time(9),
        time(9, 30),
        time(9, 30),
    ]


def test_wall_times_in_the_spring_forward_gap_are_skipped():
    times = template_times(
        zone_name="Europe/Berlin",
        weekdays=[6],
        start_time=time(1, 0),
        end_time=time(4, 0),
        slot_minutes=30,
        break_minutes=0,
        date_from=date(2021, 3, 28),
        date_to=date(2021, 3, 28),
    )
    berlin = ZoneInfo("Europe/Berlin")
    local_starts = [start.astimezone(berlin).strftime("%H:%M") for start, _ in times]
    # 02:00-02:59 does not exist that night; 01:30-02:00 ends in the gap, 02:xx start in it.
    assert local_starts == ["01:00", "03:00", "03:30"]
    assert all(end > start for start, end in times)


def test_template_with_break_and_skipped_overlaps(client_for):
    doctor = DoctorFactory()
    clinic = ClinicFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    with time_machine.travel(NOW, tick=False):
        SlotFactory(
            doctor=doctor, clinic=clinic, start=utc(2021, 1, 11, 8, 0), end=utc(2021, 1, 11, 8, 20)
        )
        response = client_for(doctor.user).post(
            URL,
            template_body(
                clinic,
                "2021-01-11",
                weekdays=[0],
                end_time="11:00",
                slot_minutes=20,
                break_minutes=10,
            ),
        )
    assert response.status_code == 201, response.content
    assert (response.json()["created_count"], response.json()["skipped_count"]) == (3, 1)
    assert [s["start_local"][11:16] for s in response.json()["slots"]] == [
        "09:30",
        "10:00",
        "10:30",
    ]


@pytest.mark.parametrize(
    ("change", "attr", "code"),
    [
        ({"end_time": "08:00"}, "end_time", "invalid_range"),
        ({"date_to": "2021-01-01"}, "date_to", "invalid_range"),
        ({"date_to": "2021-12-31"}, "date_to", "range_too_long"),
        ({"weekdays": [7]}, "weekdays.0", "max_value"),
        ({"weekdays": []}, "weekdays", "min_length"),
        ({"slot_minutes": 2}, "slot_minutes", "min_value"),
    ],
)
def test_bad_template_input(client_for, change, attr, code):
    doctor = DoctorFactory()
    clinic = AssociationFactory(doctor=doctor).clinic
    body = template_body(clinic, "2021-01-11", "2021-01-18", weekdays=[0]) | change
    with time_machine.travel(NOW, tick=False):
        assert_error(client_for(doctor.user).post(URL, body), 400, code, attr=attr)


def test_template_size_is_capped(client_for):
    doctor = DoctorFactory()
    clinic = AssociationFactory(doctor=doctor).clinic
    body = template_body(
        clinic,
        "2021-01-11",
        "2021-01-20",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        start_time="00:00",
        end_time="23:55",
        slot_minutes=5,
    )
    with time_machine.travel(NOW, tick=False):
        assert_error(client_for(doctor.user).post(URL, body), 400, "too_many_slots", attr="date_to")

"""Dates, datetimes and times as a client might send them: from the whole of Python's range,
in every IANA zone, at fixed offsets up to ±23:59, around each window's moving edges, and as
text no parser should accept."""

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from datetime import timezone as fixed_offset

from django.utils import timezone
from hypothesis import strategies as st

from common.date_windows import slot_horizon


@dataclass(frozen=True)
class Sent:
    """What goes on the wire (`wire`, a JSON value or query text) and, when that is a
    well-formed date, aware datetime or time, the value it spells (`value`); None means any
    careful server must refuse it."""

    wire: object
    value: date | datetime | time | None


EDGE_OFFSETS = [
    fixed_offset(timedelta(hours=23, minutes=59)),
    fixed_offset(-timedelta(hours=23, minutes=59)),
    fixed_offset(timedelta(hours=14)),
    fixed_offset(-timedelta(hours=12)),
    fixed_offset(timedelta(hours=5, minutes=45)),
    UTC,
]
aware_zones = st.one_of(st.timezones(), st.sampled_from(EDGE_OFFSETS))
# The zone names the API accepts: the IANA list (`posix/...` and `right/...` files are not in it).
zone_names = st.one_of(
    st.sampled_from(sorted(zoneinfo.available_timezones())),
    st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu"]),
)
bad_zone_names = st.sampled_from(["Mars/Olympus", "UTC+25", "../../etc/passwd", "utc "])

# Text that is no date: out of Python's range, impossible, or not ISO 8601 at all.
BAD_DATE_TEXT = [
    "0000-01-01",
    "0000-12-31",
    "10000-01-01",
    "-0001-12-31",
    "+10000-01-01",
    "9999-12-32",
    "2024-02-30",
    "2024-13-01",
    "99999999-01-01",
    "1e309",
    "NaN",
    "today",
    "9999-12-31T23:59:59",
]
BAD_DATETIME_TEXT = [
    "0000-12-31T23:59:59Z",
    "10000-01-01T00:00:00Z",
    "9999-12-31T24:00:00Z",
    "9999-12-31T23:59:59+24:00",
    "0001-01-01T00:00:00-24:00",
    "2024-02-30T10:00:00Z",
    "2024-01-01T10:60:00Z",
    "1e309",
    "9999-12-31",
]
BAD_TIME_TEXT = ["24:00", "25:00", "09:60", "9", "-01:00", "23:59:60", "9h", "1e309"]
# JSON values of another type (`Infinity` and deep nesting are JSON-structure cases, not dates).
NOT_TEXT = st.sampled_from([0, -1, 253402300799, 2.5, True, None, [], {}])


def _today() -> date:
    return timezone.localdate()


def _days_after(base: Callable[[], date], days: int) -> Callable[[], date]:
    return lambda: base() + timedelta(days=days)


def _horizon_day() -> date:
    return _today() + slot_horizon()


FIXED_DAY_EDGES = [
    date.min,
    date.min + timedelta(days=1),
    date(1899, 12, 31),
    date(1900, 1, 1),
    date(1999, 12, 31),
    date(2000, 1, 1),
    date(2199, 12, 31),
    date(2200, 1, 1),
    date(2299, 12, 31),
    date(2300, 1, 1),
    date.max - timedelta(days=1),
    date.max,
]
MOVING_DAY_EDGES = [
    _days_after(base, days)
    for base in (_today, _horizon_day)
    for days in (-367, -366, -2, -1, 0, 1, 2, 366, 367)
]


def dates() -> st.SearchStrategy[Sent]:
    """Any date from 0001-01-01 to 9999-12-31 (ISO text), the edges of every window, days near
    today, and text that is no date."""
    day = st.one_of(
        st.dates(),
        st.sampled_from(FIXED_DAY_EDGES),
        st.sampled_from(MOVING_DAY_EDGES).map(lambda edge: edge()),
        st.integers(-800, 800).map(lambda days: _today() + timedelta(days=days)),
    )
    return st.one_of(
        day.map(lambda d: Sent(d.isoformat(), d)),
        st.sampled_from(BAD_DATE_TEXT).map(lambda text: Sent(text, None)),
    )


def body_dates() -> st.SearchStrategy[Sent]:
    """`dates()` plus JSON values that are not strings."""
    return st.one_of(dates(), NOT_TEXT.map(lambda value: Sent(value, None)))


def _aware(moment: datetime, zone) -> Sent:
    local = moment.astimezone(zone)
    return Sent(local.isoformat(), local)


def _near_now(minutes: int, zone) -> Sent:
    return _aware(
        timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=minutes), zone
    )


def _at_horizon(minutes: int, zone) -> Sent:
    edge = timezone.now() + slot_horizon()
    return _aware(edge.replace(second=0, microsecond=0) + timedelta(minutes=minutes), zone)


def _extreme(moment: datetime, zone) -> Sent:
    local = moment.replace(tzinfo=zone)
    return Sent(local.isoformat(), local)


def datetimes() -> st.SearchStrategy[Sent]:
    """Any datetime from year 1 to 9999, naive or in any zone; the ends of Python's range at
    extreme offsets; times around now and around the slot horizon; text that is no datetime;
    JSON values that are not strings."""
    horizon_minutes = int(slot_horizon().total_seconds() // 60)
    anywhere = st.datetimes(timezones=st.one_of(st.none(), aware_zones)).map(
        lambda moment: Sent(moment.isoformat(), moment if moment.tzinfo else None)
    )
    return st.one_of(
        anywhere,
        st.builds(
            _extreme,
            st.sampled_from([datetime.min, datetime.max, datetime(2199, 12, 31, 23, 59)]),
            st.sampled_from(EDGE_OFFSETS),
        ),
        st.builds(_near_now, st.integers(-24 * 60, horizon_minutes + 24 * 60), aware_zones),
        st.builds(_at_horizon, st.integers(-3, 3), aware_zones),
        st.sampled_from(BAD_DATETIME_TEXT).map(lambda text: Sent(text, None)),
        NOT_TEXT.map(lambda value: Sent(value, None)),
    )


def times() -> st.SearchStrategy[Sent]:
    """Any wall-clock time, with or without an offset (which carries no meaning for a wall
    time and is dropped), and text that is no time."""
    wall = st.times(timezones=st.one_of(st.none(), aware_zones))
    return st.one_of(
        wall.map(lambda t: Sent(t.isoformat(), t.replace(tzinfo=None))),
        st.sampled_from([time.min, time.max, time(23, 59)]).map(lambda t: Sent(t.isoformat(), t)),
        st.sampled_from(BAD_TIME_TEXT).map(lambda text: Sent(text, None)),
    )


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The strategy's value, or `None` for "the client leaves the field out"."""
    return st.one_of(st.none(), strategy)

"""Time-zone helpers: dates are read in a zone, stored and compared in UTC."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from django.core.exceptions import ValidationError


@cache
def known_zones() -> frozenset[str]:
    """The IANA zone names, read once per process: `available_timezones()` walks the tz
    database on disk (about 10 ms), and every filtered list and report asks."""
    return frozenset(zoneinfo.available_timezones())


def zone_or_error(name: str) -> zoneinfo.ZoneInfo:
    if name not in known_zones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (e.g. Europe/Berlin).",
            code="invalid_timezone",
            params={"value": name},
        )
    return zoneinfo.ZoneInfo(name)


def start_of_day(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant when `day` begins in `zone` (DST-safe: no arithmetic on aware values)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def end_of_day(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant when the day after `day` begins in `zone` (exclusive end)."""
    return start_of_day(day + timedelta(days=1), zone)


def local_datetime(day: date, wall_time: time, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """`day` at `wall_time` in `zone`, or None when that wall time does not exist (DST gap)."""
    local = datetime.combine(day, wall_time, tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local

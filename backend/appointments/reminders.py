"""When an appointment's reminders are due."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def reminder_times(
    start: datetime, zone: ZoneInfo, hours_before: Iterable[int]
) -> list[tuple[int, datetime]]:
    """(hours, due instant in UTC) for each reminder of an appointment starting at `start`.

    Whole days are counted in the clinic's calendar: the 24-hour reminder of a 09:00
    appointment comes at 09:00 local time the day before, even when a DST change in between
    makes that 23 or 25 hours earlier. The hours left over are elapsed time."""
    local = start.astimezone(zone)
    times = []
    for hours in hours_before:
        days, rest = divmod(hours, 24)
        wall = local.replace(tzinfo=None) - timedelta(days=days)
        due = wall.replace(tzinfo=zone).astimezone(UTC) - timedelta(hours=rest)
        times.append((hours, due))
    return times

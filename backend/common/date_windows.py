"""The calendar window of every date and datetime the API accepts (docs/api-guide.md, "Windows").

Python's `date` and `datetime` end at the years 1 and 9999: adding a day, a time zone or a slot
length near either end raises OverflowError, and a row stored there breaks every response that
renders it in a clinic's zone. So each input is held to a window chosen for what it means, all
of them centuries inside Python's range, and the database refuses slot and appointment times
outside `STORABLE_FROM`..`STORABLE_UNTIL` whatever path writes them (admin, scripts).

Outside its window an input is a 400 on that field with the code `date_out_of_range` (a birth
date in the future keeps its own `future_date`). docs/api-guide.md lists the windows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from rest_framework import serializers

from .serializers import AwareDateTimeField

OUT_OF_RANGE = "date_out_of_range"

PLATFORM_EPOCH = date(2000, 1, 1)
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
FILTER_EARLIEST = date(1900, 1, 1)
FILTER_LATEST = date(2299, 12, 31)  # past every local day of a storable time
STORABLE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
STORABLE_UNTIL = datetime(2200, 1, 1, tzinfo=UTC)


def storable_times(table: str) -> models.CheckConstraint:
    """The database's own bound on a table's `start`/`end`: rows it accepts render in any zone."""
    return models.CheckConstraint(
        condition=Q(start__gte=STORABLE_FROM, end__lt=STORABLE_UNTIL),
        name=f"{table}_times_storable",
        violation_error_code=OUT_OF_RANGE,
        violation_error_message="Times must lie from 2000-01-01 to 2199-12-31 (UTC).",
    )


def slot_horizon() -> timedelta:
    """How far ahead slots may be published (`SLOT_HORIZON_DAYS`, default two years)."""
    return timedelta(days=settings.SLOT_HORIZON_DAYS)


def _today() -> date:
    return timezone.localdate()


def _fixed(value: date | datetime) -> Callable[[], date | datetime]:
    return lambda: value


def _text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return value.isoformat()


@dataclass(frozen=True)
class Window:
    """Values from `earliest()` to `latest()`, both inclusive. The bounds are callables because
    most of them move with the clock; `description` says so in the schema."""

    earliest: Callable[[], date | datetime]
    latest: Callable[[], date | datetime]
    description: str
    too_late: tuple[str, str] | None = None  # (code, detail) when "too late" has its own code

    def check(self, value: date | datetime) -> None:
        """Raise a Django ValidationError (DRF and django-filter both report it on the field)."""
        if self.too_late and value > self.latest():
            code, detail = self.too_late
            raise ValidationError(detail, code=code)
        if not self.earliest() <= value <= self.latest():
            raise ValidationError(
                "Out of range: give a value from %(earliest)s to %(latest)s (%(window)s).",
                code=OUT_OF_RANGE,
                params={
                    "earliest": _text(self.earliest()),
                    "latest": _text(self.latest()),
                    "window": self.description,
                },
            )


SLOT_TIMES = Window(
    earliest=_fixed(STORABLE_FROM),
    latest=lambda: timezone.now() + slot_horizon(),
    description="2000-01-01 up to SLOT_HORIZON_DAYS days from now",
)
SLOT_DAYS = Window(
    earliest=_fixed(PLATFORM_EPOCH),
    latest=lambda: _today() + slot_horizon(),
    description="2000-01-01 up to SLOT_HORIZON_DAYS days from today",
)
# A day later than slots: the last slot can fall on the next day in a zone ahead of UTC.
REPORT_DAYS = Window(
    earliest=_fixed(PLATFORM_EPOCH),
    latest=lambda: _today() + slot_horizon() + timedelta(days=1),
    description="2000-01-01 up to SLOT_HORIZON_DAYS + 1 days from today",
)
FILTER_DAYS = Window(
    earliest=_fixed(FILTER_EARLIEST),
    latest=_fixed(FILTER_LATEST),
    description="1900-01-01 to 2299-12-31",
)
BIRTH_DATES = Window(
    earliest=_fixed(EARLIEST_BIRTH_DATE),
    latest=_today,
    description="1900-01-01 to today",
    too_late=("future_date", "The date of birth is in the future."),
)
# Yesterday too: it is still today somewhere west of UTC.
WAITLIST_DAYS = Window(
    earliest=lambda: _today() - timedelta(days=1),
    latest=lambda: _today() + timedelta(days=366),
    description="yesterday up to 366 days from today",
)
# A proxy grant's end (docs/families.md): ahead (a minute at least, so the row's creation
# time is always before it), and at most a year away.
PROXY_GRANT_ENDS = Window(
    earliest=lambda: timezone.now() + timedelta(minutes=1),
    latest=lambda: timezone.now() + timedelta(days=366),
    description="from a minute from now up to 366 days from now",
)
ASSOCIATION_DAYS = Window(
    earliest=_fixed(EARLIEST_BIRTH_DATE),
    latest=lambda: _today() + timedelta(days=366),
    description="1900-01-01 up to a year from today",
)


def _with_window(kwargs: dict, window: Window) -> dict:
    """The field's own arguments plus the window's check; its description and error codes go
    into the schema (drf-standardized-errors lists a field's `error_messages` keys)."""
    help_text = kwargs.get("help_text")
    bounds = f"Accepted: {window.description}."
    codes = [OUT_OF_RANGE, *([window.too_late[0]] if window.too_late else [])]
    return {
        **kwargs,
        "validators": [*kwargs.get("validators", []), window.check],
        "help_text": f"{help_text}. {bounds}" if help_text else bounds,
        "error_messages": {code: bounds for code in codes} | kwargs.get("error_messages", {}),
    }


class WindowedDateField(serializers.DateField):
    """A date inside `window`; outside it, a 400 on the field."""

    def __init__(self, *, window: Window, **kwargs):
        super().__init__(**_with_window(kwargs, window))


class WindowedDateTimeField(AwareDateTimeField):
    """An aware datetime inside `window`; outside it, a 400 on the field."""

    def __init__(self, *, window: Window, **kwargs):
        super().__init__(**_with_window(kwargs, window))


class WindowedDateFilter(django_filters.DateFilter):
    """A date query parameter inside `window` (default: the list-filter window)."""

    def __init__(self, *args, window: Window = FILTER_DAYS, **kwargs):
        super().__init__(*args, **_with_window(kwargs, window))

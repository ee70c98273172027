"""Appointment reports bucket per distinct start in Python: the same periods as PostgreSQL's
date_trunc(period, start AT TIME ZONE zone), DST changes and odd offsets included."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from reports.selectors import ReportScope, period_start

pytestmark = pytest.mark.django_db

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]
# Around the 2015 DST changes in Europe (29 Mar, 25 Oct) and the US (8 Mar, 1 Nov), a month
# and a year end, every 37 minutes.
STARTS = [datetime(2015, m, d, tzinfo=UTC) for m, d in [(3, 7), (3, 28), (10, 24), (10, 31)]]
STARTS += [datetime(2015, 12, 31, tzinfo=UTC)]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_period_start_matches_postgresql_date_trunc(zone, period):
    scope = ReportScope(date(2015, 1, 1), date(2015, 12, 31), ZoneInfo(zone), period)
    moments = [start + timedelta(minutes=37 * i) for start in STARTS for i in range(120)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_trunc(%s, moment AT TIME ZONE %s) FROM unnest(%s::timestamptz[]) moment",
            [period, zone, moments],
        )
        expected = [row[0].replace(tzinfo=ZoneInfo(zone)) for row in cursor.fetchall()]

    assert [period_start(moment, scope) for moment in moments] == expected

"""schemathesis hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz.sh).

schemathesis draws dates and strings from a narrow, friendly range: it never tried the year 1,
the year 9999, a datetime that leaves the calendar after a time-zone shift, a NUL character or a
lone UTF-16 surrogate, which are what crashed the API in review. These strategies widen it:
- `date` and `date-time` formats are drawn from the whole range Python can represent, in every
  IANA zone, with the calendar's edges weighted in.

Hostile strings (NUL, lone surrogates, formulas, huge) are not injected here: schemathesis 4.32
re-validates a changed case and then judges it as a negative one, and cannot encode a lone
surrogate at all. The pytest suite sends them instead (tests/common/test_hostile_json.py,
test_hostile_query.py, with hypothesis).
"""

from datetime import UTC, date, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st

EDGE_DATES = [date.min, date.min + timedelta(days=1), date.max, date.max - timedelta(days=1)]
EDGE_OFFSETS = [timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), UTC]
dates = st.one_of(st.dates(), st.sampled_from(EDGE_DATES))
aware_datetimes = st.one_of(
    st.datetimes(timezones=st.timezones()),
    st.builds(
        lambda day, zone: datetime.combine(day, datetime.min.time(), tzinfo=zone),
        st.sampled_from(EDGE_DATES),
        st.sampled_from(EDGE_OFFSETS),
    ),
)

schemathesis.openapi.format("date", dates.map(date.isoformat))
schemathesis.openapi.format("date-time", aware_datetimes.map(datetime.isoformat))

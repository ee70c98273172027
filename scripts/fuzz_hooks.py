"""schemathesis hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz.sh).

schemathesis draws dates and strings from a narrow, friendly range: it never tried the year 1,
the year 9999, a datetime that leaves the calendar after a time-zone shift, a NUL character or a
lone UTF-16 surrogate, which are what crashed the API in review. These strategies widen it:
- `date` and `date-time` formats are drawn from the whole range Python can represent, in every
  IANA zone, with the calendar's edges weighted in;
- one string of a valid request's body or query string is sometimes replaced by a hostile one
  (never in a negative case, which must stay invalid the way schemathesis made it).
"""

from datetime import UTC, date, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st

EDGE_DATES = [date.min, date.min + timedelta(days=1), date.max, date.max - timedelta(days=1)]
EDGE_OFFSETS = [timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), UTC]
HOSTILE_STRINGS = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "\u202e\u0000",
    '=HYPERLINK("http://example.com")',
    "0001-01-01",
    "9999-12-31T23:59:59-12:00",
    "NaN",
    "1e309",
    "-0",
    "\t\r\n",
    "😀" * 64,
    "a" * 10_000,
]

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


def _string_paths(value, path=()):
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    return [_replace(item, rest, new) if i == head else item for i, item in enumerate(value)]


# A URL cannot carry a lone surrogate (the client fails to encode it), and schemathesis itself
# fails to re-validate a case holding one, so the hooks send only encodable strings; lone
# surrogates in JSON bodies are tested in tests/common/test_hostile_json.py.
def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


HOSTILE_QUERY_STRINGS = [text for text in HOSTILE_STRINGS if _encodable(text)]


def _with_one_hostile_string(value, hostile=HOSTILE_STRINGS):
    paths = list(_string_paths(value))
    if not paths:
        return st.just(value)
    return st.one_of(
        st.just(value),
        st.builds(
            lambda path, new: _replace(value, path, new),
            st.sampled_from(paths),
            st.sampled_from(hostile),
        ),
    )


def _with(case, attribute: str, value):
    # In place: each generated case reaches this hook once, and Case cannot be copied.
    setattr(case, attribute, value)
    return case


@schemathesis.hook
def flatmap_case(context, case):
    """Valid requests only: a negative case must stay invalid in the way schemathesis chose, or
    `negative_data_rejection` would blame the API for accepting what the hook made valid."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return st.just(case)
    hostile = [st.just(case)]
    if isinstance(case.body, dict | list):
        hostile.append(
            _with_one_hostile_string(case.body, HOSTILE_QUERY_STRINGS).map(
                lambda b: _with(case, "body", b)
            )
        )
    if case.query:
        hostile.append(
            _with_one_hostile_string(case.query, HOSTILE_QUERY_STRINGS).map(
                lambda q: _with(case, "query", q)
            )
        )
    return st.one_of(hostile)

"""No test may hold a literal date after today: such a test is a time bomb that fails on a known
future day (a "future" slot that turns past, a window that stops containing real now). Dates in
tests are relative to a computed now (`in_hours`, `timezone.now()`), or fixed in the past under
a frozen clock (`time_machine.travel(..., tick=False)`)."""

import re
from datetime import date
from pathlib import Path

TESTS = Path(__file__).parent

# path relative to tests/ -> why its future dates are deliberate. Keep it tiny: a file listed
# here must freeze the clock before it uses them.
ALLOWED: dict[str, str] = {}
# From this year on a date is one of the API's fixed calendar edges (common/date_windows.py:
# stored times end with 2199, list filters with 2299, Python's date with 9999), not "later".
FIXED_EDGES_FROM = 2199

ISO_DATE = re.compile(r"(?<![\d.])(\d{4})-(\d{2})-(\d{2})(?!\d)")
CONSTRUCTED = re.compile(
    r"\b(?:date|datetime|utc)\(\s*(\d{4})\s*(?:,\s*(\d{1,2})\s*)?(?:,\s*(\d{1,2})\s*)?[,)]"
)
YEAR_KEYWORD = re.compile(r"\byear\s*=\s*(\d{4})\b")


def future_dates(text: str, today: date) -> list[str]:
    """The literal dates (or bare years) in `text` that lie after `today`, short of the fixed
    calendar edges."""
    found = []
    for match in ISO_DATE.finditer(text):
        year, month, day = (int(part) for part in match.groups())
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        # An impossible day (Feb 30) still names its month: compare from its first day.
        if (today.year, today.month, today.day) < (year, month, day) and year < FIXED_EDGES_FROM:
            found.append(match.group(0))
    for match in CONSTRUCTED.finditer(text):
        year, month, day = (int(part) if part else 1 for part in match.groups())
        if (today.year, today.month, today.day) < (year, month, day) and year < FIXED_EDGES_FROM:
            found.append(match.group(0))
    found += [
        m.group(0)
        for m in YEAR_KEYWORD.finditer(text)
        if today.year < int(m.group(1)) < FIXED_EDGES_FROM
    ]
    return found


def test_the_scanner_finds_each_form_of_a_future_date():
    today = date(2026, 6, 15)
    text = (
        'a = "2026-06-16T09:00:00Z"; b = date(2027, 1, 1); c = datetime(2026, 7, 1, 9)\n'
        'd = utc(2030, 1, 2, 8); e = now.replace(year=2031); f = "2030-02-30"\n'
        'ok = ["2026-06-15", date(2026, 6, 15), datetime(2025, 12, 31), "1.2026-07-01"]\n'
        'edges = ["2199-12-31", date(2200, 1, 1), "9999-12-31", now.replace(year=2300)]'
    )
    assert future_dates(text, today) == [
        "2026-06-16",
        "2030-02-30",
        "date(2027, 1, 1)",
        "datetime(2026, 7, 1,",
        "utc(2030, 1, 2,",
        "year=2031",
    ]


def test_no_test_file_holds_a_literal_future_date():
    today = date.today()
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        name = path.relative_to(TESTS).as_posix()
        if name == "test_no_future_dates.py":
            continue  # the scanner's own examples
        text = path.read_text()
        if name in ALLOWED:
            assert "tick=False" in text, f"{name} may hold future dates only under a frozen clock"
        elif found := future_dates(text, today):
            offenders[name] = found
    assert not offenders, (
        f"literal dates after today {today}: {offenders}. Compute them from now (in_hours, "
        "timezone.now()) or move them into the past under time_machine.travel(..., tick=False)."
    )

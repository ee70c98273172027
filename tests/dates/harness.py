"""What every date property test checks: no 5xx, and a refused request leaves no trace."""

from django.db import connection

from common.date_windows import Window
from tests.errors import assert_error_shape

from .strategies import Sent

# The codes a refused date, datetime or time may carry.
DATE_CODES = {
    "invalid",
    "naive",
    "overflow",
    "null",
    "required",
    "min_value",
    "max_value",
    "date_out_of_range",
    "future_date",
    "invalid_range",
    "range_too_long",
    "invalid_timezone",
    "date_in_past",
    "start_in_past",
    "end_before_start",
    "too_many_slots",
    "parse_error",
}


def write_counts() -> list[tuple]:
    """Rows inserted, updated and deleted so far, per table, in the test's transaction (every
    request of a `db` test runs in it). Cheaper than counting every table and stricter: a
    refused request must not have written, updated or deleted anything, not even in a
    savepoint it rolled back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
            "WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY relname"
        )
        return cursor.fetchall()


def in_window(sent: Sent | None, window: Window) -> bool:
    """Whether a client's value is well formed and inside `window` (absent counts as fine)."""
    if sent is None:
        return True
    return sent.value is not None and window.earliest() <= sent.value <= window.latest()


def error_attrs(response) -> set[str | None]:
    body = assert_error_shape(response)
    unexpected = [e for e in body["errors"] if e["code"] not in DATE_CODES]
    assert not unexpected, body
    return {error["attr"] for error in body["errors"]}


def assert_handled(response, before: dict, *, errors: set[str] = frozenset(), ok=(200,)) -> None:
    """No 5xx. When `errors` names fields: a 400 on exactly those fields. Otherwise one of the
    `ok` statuses. Whatever the 4xx, not a row more or less in any table."""
    assert response.status_code < 500, response.content
    if errors:
        assert response.status_code == 400, (errors, response.status_code, response.content)
        assert error_attrs(response) == errors, (errors, response.content)
    else:
        assert response.status_code in ok, (ok, response.status_code, response.content)
    if response.status_code >= 400:
        assert_error_shape(response)
        assert write_counts() == before, response.content

"""Every date query parameter, drawn from the whole calendar and every zone: the list or report
answers, or a 400 names exactly the parameters at fault; never a 5xx, never a write."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from common.date_windows import FILTER_DAYS, PLATFORM_EPOCH, REPORT_DAYS
from reports.serializers import MAX_RANGE_DAYS

from .harness import assert_handled, in_window, write_counts
from .strategies import bad_zone_names, dates, zone_names

pytestmark = pytest.mark.django_db

FILTERED_LISTS = [
    ("patient", "/api/v1/slots/available/"),
    ("doctor", "/api/v1/slots/"),
    ("clinic_admin", "/api/v1/slots/"),
    ("platform_admin", "/api/v1/slots/"),
    ("patient", "/api/v1/appointments/"),
    ("doctor", "/api/v1/appointments/"),
    ("clinic_admin", "/api/v1/appointments/"),
    ("platform_admin", "/api/v1/appointments/"),
    ("patient", "/api/v1/history/mine/"),
    ("doctor", "/api/v1/patients/{patient}/history/"),
    ("patient", "/api/v1/patients/{patient}/access-log/"),
    ("platform_admin", "/api/v1/patients/{patient}/access-log/"),
]
REPORTS = [
    ("platform_admin", "bookings"),
    ("clinic_admin", "bookings"),
    ("platform_admin", "revenue"),
    ("clinic_admin", "revenue"),
    ("platform_admin", "doctors"),
    ("clinic_admin", "doctors"),
    ("platform_admin", "user-activity"),
    ("doctor", "me"),
]
# Lists with no date parameter: a stray one is ignored like any unknown parameter.
PLAIN_LISTS = [
    ("platform_admin", "/api/v1/admin-actions/"),
    ("platform_admin", "/api/v1/users/"),
    ("platform_admin", "/api/v1/clinics/"),
    ("platform_admin", "/api/v1/doctor-clinic-associations/"),
    ("platform_admin", "/api/v1/patients/"),
    ("platform_admin", "/api/v1/points/"),
    ("patient", "/api/v1/points/"),
    ("patient", "/api/v1/doctors/"),
    ("patient", "/api/v1/reviews/"),
    ("patient", "/api/v1/reviews/mine/"),
    ("patient", "/api/v1/specialties/"),
]

zones = st.one_of(
    zone_names.map(lambda name: (name, True)), bad_zone_names.map(lambda name: (name, False))
)
window_params = st.fixed_dictionaries(
    {}, optional={"date": dates(), "date_from": dates(), "date_to": dates(), "tz": zones}
)
report_params = st.fixed_dictionaries(
    {
        "format": st.sampled_from(["json", "csv"]),
        "period": st.sampled_from(["day", "week", "month"]),
    },
    optional={"date_from": dates(), "date_to": dates(), "tz": zones},
)
stray_params = st.fixed_dictionaries(
    {}, optional={name: dates() for name in ("date", "date_from", "date_to", "since", "until")}
)


def _query(params: dict) -> dict:
    return {
        name: value[0] if name == "tz" else getattr(value, "wire", value)
        for name, value in params.items()
    }


def _bad_fields(params: dict, window) -> set[str]:
    bad = {
        name
        for name in ("date", "date_from", "date_to")
        if name in params and not in_window(params[name], window)
    }
    return bad | ({"tz"} if "tz" in params and not params["tz"][1] else set())


def filter_errors(params: dict) -> set[str]:
    """The fields a list must refuse: out of the filter window, unknown zone, backwards range."""
    bad = _bad_fields(params, FILTER_DAYS)
    if bad:
        return bad
    first = params.get("date") or params.get("date_from")
    last = params.get("date") or params.get("date_to")
    return {"date_to"} if first and last and last.value < first.value else set()


def report_errors(params: dict) -> set[str]:
    bad = _bad_fields(params, REPORT_DAYS)
    if bad:
        return bad
    date_to = params["date_to"].value if "date_to" in params else timezone.localdate()
    default_from = max(date_to - timedelta(days=30), PLATFORM_EPOCH)
    date_from = params["date_from"].value if "date_from" in params else default_from
    too_long = (date_to - date_from).days > MAX_RANGE_DAYS
    return {"date_to"} if date_to < date_from or too_long else set()


def _path(template: str, world) -> str:
    return template.format(patient=world.patient.pk, appointment=world.appointment.pk)


@pytest.mark.parametrize(("role", "path"), FILTERED_LISTS)
def test_list_date_filters_over_the_whole_calendar(world, client_for, role, path):
    client = client_for(world.actor(role))
    url = _path(path, world)

    @given(params=window_params)
    def check(params):
        before = write_counts()
        response = client.get(url, _query(params))
        assert_handled(response, before, errors=filter_errors(params))

    check()


@pytest.mark.parametrize(("role", "report"), REPORTS)
def test_report_ranges_over_the_whole_calendar(world, client_for, role, report):
    client = client_for(world.actor(role))

    @given(params=report_params)
    def check(params):
        before = write_counts()
        response = client.get(f"/api/v1/reports/{report}/", _query(params))
        assert_handled(response, before, errors=report_errors(params))
        if response.status_code == 200 and params["format"] == "csv":
            assert response["Content-Type"].startswith("text/csv")

    check()


@pytest.mark.parametrize(("role", "path"), PLAIN_LISTS)
def test_lists_without_date_filters_ignore_stray_dates(world, client_for, role, path):
    client = client_for(world.actor(role))
    url = _path(path, world)

    @settings(max_examples=max(5, settings().max_examples // 4))
    @given(params=stray_params)
    def check(params):
        before = write_counts()
        assert_handled(client.get(url, _query(params)), before)

    check()

"""The edges of each date window, one by one: the last accepted value and the first refused."""

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import DoctorFactory, template_body

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _today() -> date:
    return timezone.localdate()


def _slot_body(world, start, minutes=30) -> dict:
    return {
        "clinic": str(world.clinic.pk),
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
    }


def test_slots_reach_exactly_the_configured_horizon(world, client_for, settings):
    settings.SLOT_HORIZON_DAYS = 30
    client = client_for(world.doctor.user)
    edge = timezone.now().replace(microsecond=0) + timedelta(days=30)
    inside = client.post("/api/v1/slots/", _slot_body(world, edge - timedelta(minutes=31)))
    assert inside.status_code == 201, inside.content
    body = assert_error(
        client.post("/api/v1/slots/", _slot_body(world, edge)), 400, "date_out_of_range", "end"
    )
    assert "SLOT_HORIZON_DAYS" in body["errors"][0]["detail"]
    before = Slot.objects.count()
    assert_error(
        client.post("/api/v1/slots/", _slot_body(world, edge + timedelta(days=1))),
        400,
        "date_out_of_range",
        "start",
    )
    assert Slot.objects.count() == before


@pytest.mark.parametrize(
    ("start", "attr", "code"),
    [
        ("9999-12-31T23:30:00-05:00", "start", "overflow"),
        ("0001-01-01T00:00:00+05:00", "start", "overflow"),
        ("9999-12-31T23:00:00Z", "start", "date_out_of_range"),
        ("1999-12-31T23:00:00Z", "start", "date_out_of_range"),
        ("2000-01-01T00:00:00Z", "start", "start_in_past"),
    ],
)
def test_slot_times_far_off_are_field_errors(world, client_for, start, attr, code):
    body = {"clinic": str(world.clinic.pk), "start": start, "end": "2000-01-01T01:00:00Z"}
    if code != "start_in_past":
        body["end"] = timezone.now().isoformat()
    assert_error(client_for(world.doctor.user).post("/api/v1/slots/", body), 400, code, attr)


def test_a_slot_cannot_be_moved_past_the_horizon(world, client_for):
    far = timezone.now() + timedelta(days=731)
    response = client_for(world.doctor.user).patch(
        f"/api/v1/slots/{world.slot.pk}/",
        {"start": far.isoformat(), "end": (far + timedelta(minutes=30)).isoformat()},
    )
    assert_error(response, 400, "date_out_of_range", "start")
    world.slot.refresh_from_db()
    assert world.slot.start < timezone.now() + timedelta(days=4)


def _template(world, first: date, last: date) -> dict:
    return template_body(world.clinic, first, last, weekdays=[0, 1, 2, 3, 4, 5, 6], slot_minutes=60)


def test_templates_reach_the_horizon_day_and_no_further(world, client_for, settings):
    settings.SLOT_HORIZON_DAYS = 60
    client = client_for(world.doctor.user)
    horizon = _today() + timedelta(days=60)
    ok = client.post("/api/v1/slots/bulk/", _template(world, horizon - timedelta(days=2), horizon))
    assert ok.status_code == 201, ok.content
    assert ok.json()["created_count"] == 3
    beyond = _template(world, horizon, horizon + timedelta(days=1))
    assert_error(client.post("/api/v1/slots/bulk/", beyond), 400, "date_out_of_range", "date_to")
    last_day = _template(world, date(9999, 12, 30), date(9999, 12, 31))
    assert_error(client.post("/api/v1/slots/bulk/", last_day), 400, "date_out_of_range")


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ({"date_from": "1999-12-31"}, "date_from", "date_out_of_range"),
        ({"date_to": "9999-12-31"}, "date_to", "date_out_of_range"),
        ({"date_to": "0001-01-05"}, "date_to", "date_out_of_range"),
        ({"date_from": "2000-01-01", "date_to": "2001-01-02"}, "date_to", "range_too_long"),
    ],
)
def test_report_ranges_outside_the_platform_lifetime_are_field_errors(
    world, client_for, query, attr, code
):
    client = client_for(world.platform_admin)
    for fmt in ("json", "csv"):
        response = client.get("/api/v1/reports/bookings/", {**query, "format": fmt})
        assert_error(response, 400, code, attr)


def test_report_defaults_stop_at_the_platform_epoch(world, client_for):
    response = client_for(world.platform_admin).get(
        "/api/v1/reports/revenue/", {"date_to": "2000-01-10", "tz": "Pacific/Kiritimati"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["date_from"], response.json()["date_to"]) == (
        "2000-01-01",
        "2000-01-10",
    )


def test_reports_reach_the_day_after_the_horizon(world, client_for, settings):
    """A slot at the horizon falls on the next day in a zone ahead of UTC."""
    last = _today() + timedelta(days=settings.SLOT_HORIZON_DAYS + 1)
    client = client_for(world.platform_admin)
    query = {"date_from": (last - timedelta(days=5)).isoformat(), "tz": "Pacific/Kiritimati"}
    assert client.get("/api/v1/reports/bookings/", {**query, "date_to": last}).status_code == 200
    too_far = {**query, "date_to": (last + timedelta(days=1)).isoformat()}
    assert_error(client.get("/api/v1/reports/bookings/", too_far), 400, "date_out_of_range")


@pytest.mark.parametrize(
    ("day", "ok"),
    [("1899-12-31", False), ("1900-01-01", True), ("2299-12-31", True), ("2300-01-01", False)],
)
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_list_date_filters_span_1900_to_2299_in_every_zone(world, client_for, day, ok, zone):
    client = client_for(world.platform_admin)
    for name in ("date", "date_from", "date_to"):
        for url in ("/api/v1/slots/", "/api/v1/appointments/"):
            response = client.get(url, {name: day, "tz": zone})
            if ok:
                assert response.status_code == 200, response.content
            else:
                assert_error(response, 400, "date_out_of_range", name)


@pytest.mark.parametrize(
    ("value", "code"),
    [("1899-12-31", "date_out_of_range"), ("0001-01-01", "date_out_of_range")],
)
def test_birth_dates_before_1900_are_refused(world, client_for, value, code):
    response = client_for(world.patient.user).patch(
        "/api/v1/patients/me/", {"date_of_birth": value}
    )
    assert_error(response, 400, code, "date_of_birth")
    world.patient.refresh_from_db()
    assert world.patient.date_of_birth == date(1990, 1, 1)


def test_registration_refuses_a_future_birth_date(db, client_for):
    tomorrow = _today() + timedelta(days=1)
    body = {
        "email": "future@example.com",
        "password": "Correct-Horse-Battery-42",
        "first_name": "Fu",
        "last_name": "Ture",
        "date_of_birth": tomorrow.isoformat(),
    }
    response = client_for(None).post("/api/v1/auth/register/patient/", body)
    assert_error(response, 400, "future_date", "date_of_birth")
    body["date_of_birth"] = "1900-01-01"
    assert client_for(None).post("/api/v1/auth/register/patient/", body).status_code == 201


def test_association_dates_reach_a_year_ahead(world, client_for):
    client = client_for(world.clinic_admin)
    body = {"doctor": str(DoctorFactory().pk), "clinic": str(world.clinic.pk)}
    too_late = (_today() + timedelta(days=367)).isoformat()
    response = client.post("/api/v1/doctor-clinic-associations/", {**body, "started_on": too_late})
    assert_error(response, 400, "date_out_of_range", "started_on")
    in_a_year = (_today() + timedelta(days=366)).isoformat()
    response = client.post("/api/v1/doctor-clinic-associations/", {**body, "started_on": in_a_year})
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("value", ["0", "3661", "-5"])
def test_an_unusable_slot_horizon_stops_the_settings_loading(value):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT / "backend"),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "SLOT_HORIZON_DAYS": value,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SLOT_HORIZON_DAYS must be from 1 to 3660" in result.stderr

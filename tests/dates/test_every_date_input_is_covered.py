"""Every date, datetime and time input in the OpenAPI schema has a property test here, and the
schema tells clients its window. A new date input fails this until it gets both."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from .test_query_dates import FILTERED_LISTS, REPORTS

DATE_FORMATS = {"date", "date-time", "time"}

# Body fields and the property test in test_body_dates.py that draws them.
BODY_FIELDS = {
    ("POST", "/api/v1/slots/", "start"): "test_slot_create_over_the_whole_calendar",
    ("POST", "/api/v1/slots/", "end"): "test_slot_create_over_the_whole_calendar",
    ("PATCH", "/api/v1/slots/{}/", "start"): "test_slot_edit_over_the_whole_calendar",
    ("PATCH", "/api/v1/slots/{}/", "end"): "test_slot_edit_over_the_whole_calendar",
    **{
        ("POST", "/api/v1/slots/bulk/", name): "test_slot_template_over_the_whole_calendar"
        for name in ("date_from", "date_to", "start_time", "end_time")
    },
    **{
        ("POST", "/api/v1/waitlist/", name): "test_waitlist_join_over_the_whole_calendar"
        for name in ("date_from", "date_to", "time_from", "time_to")
    },
    ("POST", "/api/v1/auth/register/patient/", "date_of_birth"): (
        "test_registration_date_of_birth_over_the_whole_calendar"
    ),
    ("PATCH", "/api/v1/patients/me/", "date_of_birth"): (
        "test_patient_date_of_birth_over_the_whole_calendar"
    ),
    ("PATCH", "/api/v1/patients/{}/", "date_of_birth"): (
        "test_patient_date_of_birth_over_the_whole_calendar"
    ),
    ("POST", "/api/v1/dependents/", "date_of_birth"): (
        "test_dependent_date_of_birth_over_the_whole_calendar"
    ),
    ("PATCH", "/api/v1/dependents/{}/", "date_of_birth"): (
        "test_dependent_date_of_birth_over_the_whole_calendar"
    ),
    ("POST", "/api/v1/proxy-grants/", "expires_at"): (
        "test_proxy_grant_end_over_the_whole_calendar"
    ),
    ("POST", "/api/v1/doctor-clinic-associations/", "started_on"): (
        "test_association_start_over_the_whole_calendar"
    ),
    ("POST", "/api/v1/doctor-clinic-associations/{}/end/", "ended_on"): (
        "test_association_end_over_the_whole_calendar"
    ),
}


def _generic(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _fields(schema: dict, node: dict, seen=()):
    """(name, schema) of every property under `node`, following $refs and compositions."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _fields(schema, schema["components"]["schemas"][name], (*seen, name))
        return
    for name, child in node.get("properties", {}).items():
        yield name, child
        yield from _fields(schema, child, seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in node.get(key, []):
            yield from _fields(schema, child, seen)
    if "items" in node:
        yield from _fields(schema, node["items"], seen)


def date_inputs(schema: dict):
    """("query" | "body", METHOD, generic path, name, description) of each date-like input;
    a wall-clock time has no window, so its description is None."""
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                kind = parameter["schema"].get("format")
                if kind in DATE_FORMATS:
                    description = parameter.get("description", "") if kind != "time" else None
                    yield "query", method.upper(), _generic(path), parameter["name"], description
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            for name, field in _fields(schema, body or {}):
                kind = field.get("format")
                if kind in DATE_FORMATS and not field.get("readOnly"):
                    description = field.get("description", "") if kind != "time" else None
                    yield "body", method.upper(), _generic(path), name, description


def test_every_date_input_in_the_schema_has_a_property_test(schema):
    queried = {_generic(path) for _, path in FILTERED_LISTS}
    queried |= {f"/api/v1/reports/{report}/" for _, report in REPORTS}
    missing = []
    for where, method, path, name, _ in date_inputs(schema):
        covered = path in queried if where == "query" else (method, path, name) in BODY_FIELDS
        if not covered:
            missing.append((where, method, path, name))
    assert not missing, missing
    found = {(m, p, n) for where, m, p, n, _ in date_inputs(schema) if where == "body"}
    assert set(BODY_FIELDS) <= found, set(BODY_FIELDS) - found


def test_the_schema_states_each_date_window(schema):
    unstated = [
        (where, method, path, name)
        for where, method, path, name, description in date_inputs(schema)
        if description is not None and "Accepted:" not in description
    ]
    assert not unstated, unstated

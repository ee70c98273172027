"""FHIR endpoints x roles -> status: the REST API's permissions (docs/rules.md), through FHIR.

The FHIR API stays out of the OpenAPI file, so this table is not in tests/test_authorization
_matrix.py; `test_every_fhir_route_has_a_row` keeps it whole instead."""

import json

import pytest
from django.urls import get_resolver

from tests.authz import Endpoint, assert_refusal_wrote_nothing, cases, expect, table_writes
from tests.fhir_checks import FHIR_JSON

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

R4 = "/fhir/r4"
PUBLIC = expect(200, anonymous=200)
SIGNED_IN = expect(200)
CANCEL = [{"op": "replace", "path": "/status", "value": "cancelled"}]


def read(kind: str, pk) -> str:
    return f"{R4}/{kind}/{pk}"


ENDPOINTS = [
    Endpoint("metadata", "GET", lambda w: f"{R4}/metadata", PUBLIC),
    Endpoint("bulk-publish", "GET", lambda w: f"{R4}/$bulk-publish", PUBLIC),
    Endpoint("bulk-locations", "GET", lambda w: f"{R4}/$bulk-publish/Location.ndjson", PUBLIC),
    Endpoint("bulk-schedules", "GET", lambda w: f"{R4}/$bulk-publish/Schedule.ndjson", PUBLIC),
    Endpoint(
        "bulk-slots",
        "GET",
        lambda w: f"{R4}/$bulk-publish/Slot-{w.slot.start.date()}.ndjson",
        PUBLIC,
    ),
    Endpoint("practitioner-search", "GET", lambda w: f"{R4}/Practitioner", SIGNED_IN),
    Endpoint("practitioner-read", "GET", lambda w: read("Practitioner", w.doctor.pk), SIGNED_IN),
    Endpoint(
        "practitioner-read-unconfirmed",
        "GET",
        lambda w: read("Practitioner", w.unconfirmed_doctor.pk),
        expect(404, unconfirmed_doctor=200, platform_admin=200),
    ),
    Endpoint("practitionerrole-search", "GET", lambda w: f"{R4}/PractitionerRole", SIGNED_IN),
    Endpoint(
        "practitionerrole-read",
        "GET",
        lambda w: read("PractitionerRole", w.association.pk),
        SIGNED_IN,
    ),
    Endpoint("organization-search", "GET", lambda w: f"{R4}/Organization", SIGNED_IN),
    Endpoint("organization-read", "GET", lambda w: read("Organization", w.clinic.pk), SIGNED_IN),
    Endpoint("location-search", "GET", lambda w: f"{R4}/Location", SIGNED_IN),
    Endpoint("location-read", "GET", lambda w: read("Location", w.clinic.pk), SIGNED_IN),
    Endpoint("schedule-search", "GET", lambda w: f"{R4}/Schedule", SIGNED_IN),
    Endpoint("schedule-read", "GET", lambda w: read("Schedule", w.association.pk), SIGNED_IN),
    Endpoint("slot-search", "GET", lambda w: f"{R4}/Slot", SIGNED_IN),
    Endpoint("slot-read-free", "GET", lambda w: read("Slot", w.slot.pk), SIGNED_IN),
    Endpoint(
        "slot-read-booked",
        "GET",
        lambda w: read("Slot", w.appointment.slot_id),
        expect(404, doctor=200, clinic_admin=200, platform_admin=200),
    ),
    Endpoint("appointment-search", "GET", lambda w: f"{R4}/Appointment", SIGNED_IN),
    Endpoint(
        "appointment-read",
        "GET",
        lambda w: read("Appointment", w.appointment.pk),
        expect(404, patient=200, doctor=200, clinic_admin=200, platform_admin=200),
    ),
    Endpoint(
        "appointment-create",
        "POST",
        lambda w: f"{R4}/Appointment",
        expect(403, patient=201, other_patient=201),
        body=lambda w: {
            "resourceType": "Appointment",
            "status": "booked",
            "slot": [{"reference": f"Slot/{w.slot.pk}"}],
        },
    ),
    Endpoint(
        "appointment-cancel-patch",
        "PATCH",
        lambda w: read("Appointment", w.appointment.pk),
        expect(404, patient=200, doctor=200, clinic_admin=200, platform_admin=403),
        body=lambda w: CANCEL,
    ),
    Endpoint(
        "appointment-cancel-put",
        "PUT",
        lambda w: read("Appointment", w.appointment.pk),
        expect(404, patient=200, doctor=200, clinic_admin=200, platform_admin=403),
        body=lambda w: {"resourceType": "Appointment", "status": "cancelled"},
    ),
    Endpoint("patient-search", "GET", lambda w: f"{R4}/Patient", SIGNED_IN),
    Endpoint(
        "patient-read",
        "GET",
        lambda w: read("Patient", w.patient.pk),
        expect(404, patient=200, doctor=200, platform_admin=200),
    ),
]

CONTENT_TYPES = {"PATCH": "application/json-patch+json"}


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_fhir_authorization(client_for, world, endpoint, role):
    client = client_for(world.actor(role))
    url = endpoint.path(world)
    body = None if endpoint.method == "GET" else json.dumps(endpoint.body(world))
    before = table_writes()
    if body is None:
        response = client.get(url, HTTP_ACCEPT=FHIR_JSON)
    else:
        response = client.generic(
            endpoint.method, url, body, content_type=CONTENT_TYPES.get(endpoint.method, FHIR_JSON)
        )
    expected = endpoint.expected[role]
    assert response.status_code == expected, (endpoint.name, role, response.content[:400])
    assert_refusal_wrote_nothing(endpoint, role, response, before)


def test_every_fhir_route_has_a_row():
    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    routes = {name for name in names if name.startswith("fhir-") and name != "fhir-unknown"}
    covered = {
        "fhir-metadata",
        "fhir-bulk-publish",
        "fhir-published-locations",
        "fhir-published-schedules",
        "fhir-published-slots",
    } | {
        f"fhir-{kind}-{interaction}"
        for kind in (
            "practitioner",
            "practitionerrole",
            "organization",
            "location",
            "schedule",
            "slot",
            "appointment",
            "patient",
        )
        for interaction in ("search", "read")
    }
    assert routes == covered
    rows = {endpoint.name for endpoint in ENDPOINTS}
    for route in covered - {"fhir-metadata", "fhir-bulk-publish"}:
        stem = route.removeprefix("fhir-").replace("published-", "bulk-")
        assert any(row.startswith(stem.rstrip("s")) for row in rows), route

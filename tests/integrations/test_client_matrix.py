"""The authorization matrix's integration-client role, once per scope: every row of every
table (tests/*/test_authorization.py and the FHIR table) called with a client token of the
world's clinic that holds that one scope.

Whatever a scope does not name is refused with 403 `insufficient_scope` (the authentication
refuses client tokens on every view that does not list the scope), except the public
endpoints, which read no token at all and answer a client as they answer anyone."""

import json

import pytest
from django.utils import timezone

from integrations.scopes import Scope
from tests.authz import assert_refusal_wrote_nothing, table_writes
from tests.fhir_checks import FHIR_JSON
from tests.fhir_r4.test_authorization import CONTENT_TYPES
from tests.fhir_r4.test_authorization import ENDPOINTS as FHIR_ROWS
from tests.integrations.helpers import ClientCredentialsAPIClient, make_client
from tests.records.conftest import records_world  # noqa: F401 - the world the records rows read
from tests.test_authorization_matrix import ROWS

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

# Rows whose endpoint authenticates nobody (no token is read): a client gets the anonymous
# answer there.
PUBLIC = {
    "healthz",
    "readyz",
    "auth-register-patient",
    "auth-register-doctor",
    "auth-email-confirm",
    "auth-email-resend",
    "auth-login",
    "auth-login-mfa",
    "auth-token-refresh",
    "auth-password-reset",
    "auth-password-reset-confirm",
    "calendar-feed-ics",
    "payment-webhook-unsigned",
    "oauth-token",
    "metadata",
    "bulk-publish",
    "bulk-locations",
    "bulk-schedules",
    "bulk-slots",
}
WEBHOOKS = {
    "webhook-endpoints-list": 200,
    "webhook-endpoints-create": 201,
    "webhook-endpoints-detail": 200,
    "webhook-endpoints-update": 200,
    "webhook-endpoints-delete": 204,
    "webhook-endpoints-rotate-secret": 200,
    "webhook-endpoints-deliveries": 200,
    "webhook-endpoints-redeliver": 202,
}
ALL_FHIR_READS = {
    "practitioner-search": 200,
    "practitioner-read": 200,
    "practitioner-read-unconfirmed": 404,  # not in the directory
    "practitionerrole-search": 200,
    "practitionerrole-read": 200,
    "organization-search": 200,
    "organization-read": 200,
    "location-search": 200,
    "location-read": 200,
    "schedule-search": 200,
    "schedule-read": 200,
    "slot-search": 200,
    "slot-read-free": 200,
    "slot-read-booked": 200,  # its own clinic's schedule, booked slots included
    "appointment-search": 200,
    "appointment-read": 200,
}
# What each scope reaches (status per row); every other row: 403 or, if PUBLIC, anonymous's.
ALLOWED = {
    Scope.SCHEDULE_READ: {"slots-list": 200, "slots-detail": 200},
    Scope.SLOTS_WRITE: {
        "slots-update": 200,
        "slots-delete": 204,
        "slots-block": 200,
        "slots-unblock": 200,
    },
    Scope.APPOINTMENTS_READ: {
        "appointments-list": 200,
        "appointments-detail": 200,
        # a dependent's or a proxied patient's visit at the client's clinic is one of its own
        "family-dependent-appointment": 200,
        "proxy-patient-appointment": 200,
    },
    Scope.APPOINTMENTS_WRITE: {
        "appointments-cancel": 200,
        # the world's patient books with its clinic already: known to it
        "appointment-create": 201,
        "appointment-cancel-patch": 200,
        "appointment-cancel-put": 200,
        "family-dependent-cancel": 200,
        "proxy-patient-cancel": 200,
    },
    Scope.WEBHOOKS_MANAGE: WEBHOOKS,
    Scope.FHIR_SLOT_READ: {name: ALL_FHIR_READS[name] for name in ALL_FHIR_READS if "slot" in name},
    Scope.FHIR_SCHEDULE_READ: {
        name: status for name, status in ALL_FHIR_READS.items() if name.startswith("schedule")
    },
    Scope.FHIR_APPOINTMENT_READ: {
        name: status for name, status in ALL_FHIR_READS.items() if name.startswith("appointment")
    },
    Scope.FHIR_ALL_READ: ALL_FHIR_READS,
}
FHIR_NAMES = {row.name for row in FHIR_ROWS}
EVERY_ROW = [*ROWS.values(), *FHIR_ROWS]


def expected(row, scope: str) -> int:
    if row.name in ALLOWED[scope]:
        return ALLOWED[scope][row.name]
    if row.name in PUBLIC:
        return row.expected["anonymous"]
    return 403


def fhir_body(row, world) -> dict:
    body = row.body(world)
    if row.name == "appointment-create":  # a client names the patient it books for
        body = body | {"participant": [{"actor": {"reference": f"Patient/{world.patient.pk}"}}]}
    return body


def prepared(api, row, world):
    """The row's request, ready to send: making its path and body may write (a row's target
    is sometimes created on demand), so that happens before the writes are counted."""
    path = row.path(world)
    if row.name in FHIR_NAMES:
        if row.method == "GET":
            return lambda: api.get(path, HTTP_ACCEPT=FHIR_JSON)
        content_type = CONTENT_TYPES.get(row.method, FHIR_JSON)
        body = json.dumps(fhir_body(row, world))
        return lambda: api.generic(row.method, path, body, content_type=content_type)
    method = getattr(api, row.method.lower())
    if row.method in ("GET", "DELETE"):
        return lambda: method(path)
    body = row.body(world)
    return lambda: method(path, body, format="json")


@pytest.mark.parametrize("scope", list(Scope), ids=[scope.value for scope in Scope])
@pytest.mark.parametrize("row", EVERY_ROW, ids=[row.name for row in EVERY_ROW])
def test_integration_client_role(records_world, row, scope, settings):  # noqa: F811
    world = records_world  # the shared world and the history entries the records rows name
    settings.PAYMENT_WEBHOOK_SECRET = "configured"  # as the payment rows' own table has it
    client, _ = make_client(world.clinic, [scope], created_by=world.clinic_admin)
    # Used just now from the test client's address: no last-use write muddles the check that
    # a refusal wrote nothing.
    client.last_used_at, client.last_used_ip = timezone.now(), "127.0.0.1"
    client.save()
    request = prepared(ClientCredentialsAPIClient(client), row, world)
    before = table_writes()
    response = request()
    assert response.status_code == expected(row, scope), (row.name, scope, response.content[:300])
    assert_refusal_wrote_nothing(row, f"client:{scope}", response, before)


def test_every_allowed_row_exists():
    names = {row.name for row in EVERY_ROW}
    for scope, rows in ALLOWED.items():
        assert set(rows) <= names, scope
    assert names >= PUBLIC

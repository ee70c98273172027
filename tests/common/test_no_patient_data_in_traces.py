"""No patient data in the traces (issue 28, finding 3): the same sweep as the log scan, every
operation of the OpenAPI file as the roles it succeeds and fails for plus the personal calls,
in a world of marker values, with tracing on and the spans exported in memory through the
RedactingExporter the deployment uses. No marker, secret, token, query value, user agent or
exception text may appear in any span's name, attributes, events or status."""

import json

import pytest
from django.db import transaction
from opentelemetry.sdk.trace import ReadableSpan

from common import tracing
from tests.authz import call
from tests.common.test_no_patient_data_in_logs import (
    JWT,
    MARK,
    Recorder,
    mark_the_world,
    personal_calls,
    rows_and_roles,
)
from tests.common.test_tracing import _exporter, _provider
from tests.records.conftest import records_world  # noqa: F401 (a fixture, used by name)

pytestmark = pytest.mark.django_db


def exported_text(span: ReadableSpan) -> str:
    events = [(event.name, dict(event.attributes or {})) for event in span.events]
    status = (span.status.status_code.name, span.status.description)
    return json.dumps(
        [span.name, dict(span.attributes or {}), events, status], default=str, ensure_ascii=False
    )


@pytest.fixture
def traced():
    """Request and task spans. The test's own connection (its transaction holds the world)
    stays untraced: statements are parameterised, and test_tracing.py shows their spans."""
    _provider()
    tracing.instrument()
    _exporter.clear()
    yield _exporter
    tracing.uninstrument()
    _exporter.clear()


def test_no_operation_traces_patient_data(client_for, request, run_tasks, settings, traced):
    settings.PAYMENT_WEBHOOK_SECRET = "configured"
    w = request.getfixturevalue("records_world")
    markers = mark_the_world(w)
    rec = Recorder(client_for, markers)
    for row, role in rows_and_roles(w):
        with transaction.atomic():
            rec.requests += 1
            rec.keep_secrets(call(client_for, w, row, role))
            transaction.set_rollback(True)
    run_tasks()
    personal_calls(rec, w, run_tasks)
    # A search term in a query string and a 500's text: the two leaks the review found.
    rec.send(w.platform_admin, "get", f"/api/v1/users/?search={MARK}qs@example.org")

    spans = traced.get_finished_spans()
    servers = [span for span in spans if span.kind.name == "SERVER"]
    assert len(servers) >= rec.requests
    assert all(span.attributes.get("http.route", "").startswith("/") for span in servers)
    assert len(markers) > 100
    text = "\n".join(exported_text(span) for span in spans).lower()
    leaks = sorted(marker for marker in markers if marker.lower() in text)
    assert leaks == [], f"{len(leaks)} value(s) leaked into the traces: {leaks[:10]}"
    assert MARK not in text
    assert not JWT.search(text), "a JWT reached the traces"


def test_the_exporter_keeps_an_exceptions_type_and_drops_its_text(traced):
    tracer = tracing.trace.get_tracer("careslot.test")
    with tracer.start_as_current_span("GET /x", attributes={"http.target": f"/x?q={MARK}"}) as span:
        span.set_attribute("http.user_agent", f"{MARK}-agent")
        span.record_exception(ValueError(f"DETAIL: Key (email)=({MARK}@example.org)"))
    [exported] = traced.get_finished_spans()
    assert exported.attributes["http.target"] == "(unresolved)"
    assert "http.user_agent" not in exported.attributes
    assert [dict(event.attributes) for event in exported.events] == [
        {"exception.type": "ValueError"}
    ]
    assert MARK not in exported_text(exported)

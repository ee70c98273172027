"""Tracing (issue 23.3): off unless the OTEL_* variables ask for it; on, one booking is a
request span holding its database spans, and the confirmation mail's task span links to it."""

import pytest
from django.db import connection
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from common import tracing
from tests.factories import SlotFactory, in_hours

_exporter = InMemorySpanExporter()


def _provider() -> TracerProvider:
    """The process's one tracer provider (OpenTelemetry sets it once), exporting to memory."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(tracing.RedactingExporter(_exporter)))
        trace.set_tracer_provider(provider)
    return provider


@pytest.fixture
def spans():
    _provider()
    tracing.instrument()
    # The open connection predates the instrumentation: the next query opens a traced one.
    connection.close()
    _exporter.clear()
    yield _exporter
    tracing.uninstrument()
    connection.close()
    _exporter.clear()


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "careslot"}, False),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_tracing_is_off_unless_the_otel_variables_ask(environ, on):
    assert tracing.tracing_requested(environ) is on


@pytest.mark.django_db(transaction=True)
def test_a_booking_is_a_request_span_with_database_spans_and_a_linked_mail_task(
    spans, client_for, run_tasks, outbox
):
    from tests.world import build_world

    world = build_world()
    slot = SlotFactory(doctor=world.doctor, clinic=world.clinic, start=in_hours(100))
    _exporter.clear()
    booked = client_for(world.other_patient.user).post(
        "/api/v1/appointments/", {"slot": str(slot.pk)}, format="json"
    )
    assert booked.status_code == 201
    assert run_tasks() == 1
    assert len(outbox) == 1

    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.kind == SpanKind.SERVER]
    assert request.name == "POST /api/v1/appointments/"
    assert request.attributes["http.route"] == "/api/v1/appointments/"
    assert request.attributes["http.status_code"] == 201
    in_request = [s for s in finished if s.parent and s.parent.span_id == request.context.span_id]
    statements = [s for s in in_request if s.attributes.get("db.system") == "postgresql"]
    assert len(statements) >= 5
    assert any(s.name.startswith("INSERT") for s in statements)
    assert all(s.context.trace_id == request.context.trace_id for s in statements)

    [task] = [s for s in finished if s.name == "task send_booking_confirmation"]
    assert task.kind == SpanKind.CONSUMER
    assert task.parent is None  # a trace of its own, in the worker's time
    assert [link.context.span_id for link in task.links] == [request.context.span_id]
    assert task.links[0].context.trace_id == request.context.trace_id
    in_task = [s for s in finished if s.parent and s.parent.span_id == task.context.span_id]
    assert any(s.attributes.get("db.system") == "postgresql" for s in in_task)
    # Spans name routes and statements, never the values in them.
    for span in finished:
        assert world.other_patient.user.email not in str(span.attributes)

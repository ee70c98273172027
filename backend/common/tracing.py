"""OpenTelemetry tracing (docs/operations.md#tracing): off unless the standard variables ask
for it (OTEL_TRACES_EXPORTER, or an OTLP endpoint), and never when OTEL_SDK_DISABLED is true.

On, the Django requests, the psycopg statements and the worker's tasks are spans. A task's span
is a root of its own trace (it runs later, in another process) with a link to the span of the
request that enqueued it, whose context the task carries (taskqueue.backend).

Every span leaves the process through `RedactingExporter`, which holds traces to the rule the
logs keep (docs/operations.md, "No patient data"): the route template, never the path or the
query string (search terms, calendar-feed tokens); no user agent; an exception's type, never
its message or stack trace (psycopg's DETAIL carries row values).
"""

import os
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

tracer = trace.get_tracer("careslot.tasks")


def tracing_requested(environ=os.environ) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def configure_tracing(environ=os.environ) -> bool:
    """Install the SDK with the exporters OTEL_TRACES_EXPORTER names (otlp by default,
    console) and instrument Django and psycopg. The SDK reads the rest of the OTEL_*
    variables itself: service name, resource attributes, sampler, OTLP endpoint and headers."""
    if not tracing_requested(environ):
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    resource = Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME") or "careslot"})
    provider = TracerProvider(resource=resource)
    for name in (environ.get("OTEL_TRACES_EXPORTER") or "otlp").split(","):
        name = name.strip().lower()
        if name == "console":
            exporter = ConsoleSpanExporter()
        elif name in ("otlp", "otlp_proto_http"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        else:
            continue
        provider.add_span_processor(BatchSpanProcessor(RedactingExporter(exporter)))
    trace.set_tracer_provider(provider)
    instrument()
    return True


def instrument() -> None:
    """Request spans (a middleware Django loads first) and a span per SQL statement."""
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    # Query strings, bodies and headers are not recorded; spans are named like the log lines.
    DjangoInstrumentor().instrument(is_sql_commentor_enabled=False, response_hook=_name_by_route)
    PsycopgInstrumentor().instrument(enable_commenter=False, skip_dep_check=True)


def _name_by_route(span, request, response) -> None:
    from .routes import route_template

    if span.is_recording():
        route = route_template(request)
        span.update_name(f"{request.method} {route}")
        span.set_attribute("http.route", route)


def uninstrument() -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    DjangoInstrumentor().uninstrument()
    PsycopgInstrumentor().uninstrument()


@contextmanager
def task_span(task_path: str, task_id: str, context: dict):
    """The span of one task attempt, linked to the enqueuing request's span."""
    enqueued_by = trace.get_current_span(propagate.extract(context)).get_span_context()
    links = [Link(enqueued_by)] if enqueued_by.is_valid else []
    with tracer.start_as_current_span(
        f"task {task_path.rpartition('.')[2]}",
        context=Context(),  # a trace of its own, whatever runs around the worker
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={"careslot.task.path": task_path, "careslot.task.id": task_id},
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


# Attributes that carry the path, the query string or the client's software.
_PATH_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.path")
_DROPPED_ATTRIBUTES = ("url.query", "http.user_agent", "user_agent.original")
_DROPPED_PREFIXES = ("http.request.header.", "http.response.header.")


def redacted_attributes(attributes) -> dict:
    kept = {
        key: value
        for key, value in (attributes or {}).items()
        if key not in _DROPPED_ATTRIBUTES and not key.startswith(_DROPPED_PREFIXES)
    }
    route = kept.get("http.route")
    for key in _PATH_ATTRIBUTES:
        if key in kept:
            kept[key] = route or "(unresolved)"
    return kept


def redacted_event(event: Event) -> Event:
    """An exception event keeps the exception's type only."""
    if event.name != "exception":
        return event
    attributes = {k: v for k, v in (event.attributes or {}).items() if k == "exception.type"}
    return Event(event.name, attributes, timestamp=event.timestamp)


def redact(span: ReadableSpan) -> ReadableSpan:
    attributes = redacted_attributes(span.attributes)
    route, method = attributes.get("http.route"), attributes.get("http.method")
    name = f"{method} {route}" if route and method else span.name
    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=[redacted_event(event) for event in span.events],
        links=span.links,
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class RedactingExporter(SpanExporter):
    """Exports through `exporter` what `redact` leaves of each span."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans) -> SpanExportResult:
        return self.exporter.export([redact(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)

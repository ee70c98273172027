"""OpenTelemetry tracing (docs/operations.md#tracing): off unless the standard variables ask
for it (OTEL_TRACES_EXPORTER, or an OTLP endpoint), and never when OTEL_SDK_DISABLED is true.

On, the Django requests, the psycopg statements and the worker's tasks are spans. A task's span
is a root of its own trace (it runs later, in another process) with a link to the span of the
request that enqueued it, whose context the task carries (common.task_backend).
"""

import os
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
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
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name in ("otlp", "otlp_proto_http"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
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
    from .request_log import route_template

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

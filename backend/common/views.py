"""Liveness and readiness checks and the JSON fallbacks for errors raised outside DRF views."""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import (
    database_unavailable_response,
    error_json_response,
    errors_json_response,
    is_database_unavailable,
    note_database_unavailable,
    request_too_large,
)
from .fields import StrictCharField, StrictIntegerField
from .metrics import exposition, may_read_metrics
from .readiness import readiness
from .schema import error_response


class QueueHealthSerializer(serializers.Serializer):
    ready = StrictIntegerField(help_text="Tasks ready to run now (the queue depth)")
    oldest_ready_age_seconds = serializers.FloatField(
        allow_null=True, help_text="How long the oldest ready task has waited; null if none"
    )
    max_lag_seconds = StrictIntegerField(help_text="The age past which /readyz answers 503")


class MigrationsStateSerializer(serializers.Serializer):
    applied = StrictIntegerField(help_text="Migrations of this code recorded as applied")
    unapplied = StrictIntegerField(help_text="Always 0 in a 200 answer")


@extend_schema(
    summary="Liveness",
    description=(
        "Answers 200 as long as the process serves requests. It touches neither the database "
        "nor the cache, so an outage elsewhere never gets a healthy server restarted; use "
        "`/readyz` to decide whether to send it traffic (docs/operations.md)."
    ),
    tags=["health"],
    responses={200: inline_serializer("Liveness", {"status": StrictCharField()})},
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def healthz(request: Request) -> Response:
    return Response({"status": "ok"})


@extend_schema(
    summary="Readiness",
    description=(
        "Answers 200 when this server can do its work, with the applied migrations and the task "
        "queue's depth and lag for the metrics audience (METRICS_TOKEN or "
        "METRICS_ALLOWED_NETWORKS); 503 naming each thing that is not ready (the details, again, "
        "for the metrics audience only): the database is "
        "unreachable (`database_unavailable`), migrations of this code are not applied "
        "(`migrations_pending`), or the oldest ready task has waited longer than "
        "`TASK_HEALTH_MAX_LAG_SECONDS` (`tasks_lagging`: no worker runs, or too few)."
    ),
    tags=["health"],
    responses={
        200: inline_serializer(
            "Readiness",
            {
                "status": StrictCharField(),
                "migrations": MigrationsStateSerializer(required=False),
                "tasks": QueueHealthSerializer(required=False),
            },
        ),
        503: error_response(
            "NotReady",
            "The database, the schema or the task workers are not ready.",
            "database_unavailable",
            "migrations_pending",
            "tasks_lagging",
            server_error=True,
        ),
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def readyz(request: Request) -> Response | JsonResponse:
    state = readiness()
    # Migration names and queue figures are for the operators (the metrics audience): anyone
    # may probe readiness, but only they learn why.
    insider = may_read_metrics(request)
    if state.problems:
        problems = [(p.code, p.detail if insider else NOT_READY) for p in state.problems]
        return errors_json_response(503, problems)
    if not insider:
        return Response({"status": "ok"})
    body = {"status": "ok", "migrations": {"applied": state.applied_migrations, "unapplied": 0}}
    if queue := state.queue:  # None only without the taskqueue app
        body["tasks"] = {
            "ready": queue.ready,
            "oldest_ready_age_seconds": queue.oldest_ready_age_seconds,
            "max_lag_seconds": settings.TASK_HEALTH_MAX_LAG_SECONDS,
        }
    return Response(body)


NOT_READY = "This server is not ready."


def not_found(request, exception=None) -> JsonResponse:
    return error_json_response(404, "not_found", "Not found.")


def server_error(request) -> JsonResponse:
    # Django calls this handler inside its `except`: the exception is still at hand.
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        note_database_unavailable(exc)
        return database_unavailable_response()
    return error_json_response(500, "error", "A server error occurred.")


def bad_request(request, exception=None) -> JsonResponse:
    """Django's SuspiciousOperation answers, e.g. a query string with too many parameters."""
    if isinstance(exception, RequestDataTooBig):
        return request_too_large()
    if isinstance(exception, TooManyFieldsSent):
        detail = f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters."
        return error_json_response(400, "too_many_fields", detail)
    return error_json_response(400, "bad_request", "Bad request.")


def permission_denied(request, exception=None) -> JsonResponse:
    return error_json_response(403, "permission_denied", "You do not have permission.")


def metrics_view(request):
    """GET /metrics: for a scraper holding METRICS_TOKEN (`Authorization: Bearer ...`) or
    calling from METRICS_ALLOWED_NETWORKS; everyone else gets a plain 404."""
    if not may_read_metrics(request):
        return error_json_response(404, "not_found", "Not found.")
    if request.method != "GET":
        return error_json_response(405, "method_not_allowed", f'Method "{request.method}".')
    # The classic text format every Prometheus version reads (our names need no escaping).
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)

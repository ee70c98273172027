"""Health check and the JSON fallbacks for errors raised outside DRF views."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import error_json_response, request_too_large
from .fields import StrictCharField, StrictIntegerField
from .schema import error_response
from .task_queue import queue_health


class QueueHealthSerializer(serializers.Serializer):
    ready = StrictIntegerField(help_text="Tasks ready to run now (the queue depth)")
    oldest_ready_age_seconds = serializers.FloatField(
        allow_null=True, help_text="How long the oldest ready task has waited; null if none"
    )
    max_lag_seconds = StrictIntegerField(help_text="The age past which this answers 503")


@extend_schema(
    summary="Health check",
    description=(
        "Answers 200 with the task queue's depth and lag when the database is reachable and "
        "the workers keep up; 503 when the database is unreachable (`database_unavailable`) "
        "or the oldest ready task has waited longer than `TASK_HEALTH_MAX_LAG_SECONDS` "
        "(`tasks_lagging`: no worker runs, or too few)."
    ),
    tags=["health"],
    responses={
        200: inline_serializer(
            "Health", {"status": StrictCharField(), "tasks": QueueHealthSerializer()}
        ),
        503: error_response(
            "HealthDown",
            "The database or the task workers are down.",
            "database_unavailable",
            "tasks_lagging",
            server_error=True,
        ),
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def healthz(request: Request) -> Response | JsonResponse:
    try:
        health = queue_health()
    except DatabaseError:
        return error_json_response(503, "database_unavailable", "The database is unreachable.")
    age, limit = health.oldest_ready_age_seconds, settings.TASK_HEALTH_MAX_LAG_SECONDS
    if age is not None and age > limit:
        detail = (
            f"The oldest ready task has waited {age:.0f} s (limit {limit} s); "
            f"{health.ready} task(s) are ready. Are the workers running?"
        )
        return error_json_response(503, "tasks_lagging", detail)
    tasks = {"ready": health.ready, "oldest_ready_age_seconds": age, "max_lag_seconds": limit}
    return Response({"status": "ok", "tasks": tasks})


def not_found(request, exception=None) -> JsonResponse:
    return error_json_response(404, "not_found", "Not found.")


def server_error(request) -> JsonResponse:
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

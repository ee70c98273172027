"""Health check and the JSON fallbacks for errors raised outside DRF views."""

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

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
def healthz(request: Request) -> Response:
    try:
        health = queue_health()
    except DatabaseError:
        body = _error_body("server_error", "database_unavailable", "The database is unreachable.")
        return Response(body, status=503)
    age, limit = health.oldest_ready_age_seconds, settings.TASK_HEALTH_MAX_LAG_SECONDS
    if age is not None and age > limit:
        detail = (
            f"The oldest ready task has waited {age:.0f} s (limit {limit} s); "
            f"{health.ready} task(s) are ready. Are the workers running?"
        )
        return Response(_error_body("server_error", "tasks_lagging", detail), status=503)
    tasks = {"ready": health.ready, "oldest_ready_age_seconds": age, "max_lag_seconds": limit}
    return Response({"status": "ok", "tasks": tasks})


def _error_body(kind: str, code: str, detail: str) -> dict:
    return {"type": kind, "errors": [{"code": code, "detail": detail, "attr": None}]}


def not_found(request, exception=None) -> JsonResponse:
    return JsonResponse(_error_body("client_error", "not_found", "Not found."), status=404)


def server_error(request) -> JsonResponse:
    return JsonResponse(
        _error_body("server_error", "error", "A server error occurred."), status=500
    )


def bad_request(request, exception=None) -> JsonResponse:
    return JsonResponse(_error_body("client_error", "bad_request", "Bad request."), status=400)


def permission_denied(request, exception=None) -> JsonResponse:
    return JsonResponse(
        _error_body("client_error", "permission_denied", "You do not have permission."), status=403
    )

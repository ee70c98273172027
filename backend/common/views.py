"""Health check and the JSON fallbacks for errors raised outside DRF views."""

from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .fields import StrictCharField


@extend_schema(
    summary="Health check",
    description="Answers 200 when the API and its database are reachable, 503 otherwise.",
    tags=["health"],
    responses={
        200: inline_serializer("Health", {"status": StrictCharField()}),
        503: inline_serializer("HealthDown", {"status": StrictCharField()}),
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def healthz(request: Request) -> Response:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return Response({"status": "database_unavailable"}, status=503)
    return Response({"status": "ok"})


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

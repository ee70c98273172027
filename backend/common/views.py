"""Health check and the JSON fallbacks for errors raised outside DRF views."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import error_json_response, request_too_large
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

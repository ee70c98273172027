"""Domain errors: services raise these; the exception handler renders them in the error shape."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ErrorDetail, ValidationError

from . import metrics

logger = logging.getLogger(__name__)


class DomainError(APIException):
    """A business rule refused the request. Subclasses set `status_code` and `default_code`."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "domain_error"
    default_detail = "The request breaks a business rule."

    def __init__(self, detail: str | None = None, *, code: str | None = None):
        super().__init__(detail or self.default_detail, code or self.default_code)


class ConflictError(DomainError):
    """The request conflicts with the current state of a resource (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


class UnprocessableError(DomainError):
    """The request is well formed but cannot be processed as sent (422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"
    default_detail = "The request cannot be processed."


def field_error(attr: str, detail: str, *, code: str) -> ValidationError:
    """A 400 tied to one input field, for rules only a service can check."""
    return ValidationError({attr: [ErrorDetail(detail, code)]})


def error_json_response(
    status: int, code: str, detail: str, *, attr: str | None = None
) -> JsonResponse:
    """An error body for answers given outside DRF (middleware, Django's error handlers)."""
    return errors_json_response(status, [(code, detail)], attr=attr)


def errors_json_response(
    status: int, errors: list[tuple[str, str]], *, attr: str | None = None
) -> JsonResponse:
    """An error body in the one shape with one entry per (code, detail)."""
    kind = "server_error" if status >= 500 else "client_error"
    entries = [{"code": code, "detail": detail, "attr": attr} for code, detail in errors]
    return JsonResponse({"type": kind, "errors": entries}, status=status)


def request_too_large() -> JsonResponse:
    detail = f"The request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes."
    return error_json_response(413, "request_too_large", detail)


# A PostgreSQL restart takes a few seconds; a client retrying sooner would only add load.
DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(APIException):
    """The database could not be reached or answer (down, restarting, the connection lost):
    a 503 the client may retry, never a 500 (docs/operations.md, "Faults")."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "database_unavailable"
    default_detail = "The database is unavailable. Try again in a few seconds."


def is_database_unavailable(exc: BaseException | None) -> bool:
    """A failure of the database connection or server, rather than of our SQL."""
    return isinstance(exc, OperationalError | InterfaceError)


def note_database_unavailable(exc: BaseException) -> None:
    metrics.DATABASE_UNAVAILABLE.inc()
    logger.warning("Database unavailable (%s); answering 503", type(exc).__name__)


def database_unavailable_response() -> JsonResponse:
    """The 503 for answers given outside DRF (middleware, Django's error handlers)."""
    response = error_json_response(
        DatabaseUnavailable.status_code,
        DatabaseUnavailable.default_code,
        DatabaseUnavailable.default_detail,
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response

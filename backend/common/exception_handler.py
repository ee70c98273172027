"""One exception handler for the API: drf-standardized-errors plus the cases it does not know."""

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework_simplejwt.exceptions import DetailDictMixin

from .errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DatabaseUnavailable,
    DomainError,
    is_database_unavailable,
    note_database_unavailable,
)


class RequestTooLarge(DomainError):
    status_code = 413
    default_code = "request_too_large"
    default_detail = "The request body is larger than the API accepts."


def _suspicious_operation(exc: SuspiciousOperation) -> Exception:
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError("Too many parameters.", code="too_many_fields")
    return exceptions.ParseError("Bad request.", code="bad_request")


class CareSlotExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        # simplejwt's errors carry a dict detail ({"detail", "code", "messages"}), which the
        # formatter would split into one error per key; flatten to one error with its code.
        if isinstance(exc, DetailDictMixin) and isinstance(exc.detail, dict):
            detail = exc.detail.get("detail", "Authentication failed.")
            code = exc.detail.get("code", "authentication_failed")
            flat = exceptions.AuthenticationFailed(detail=str(detail), code=str(code))
            flat.auth_header = getattr(exc, "auth_header", None)
            return flat
        # Django's refusals of a hostile request (RequestDataTooBig, TooManyFieldsSent, ...)
        # raised while a view reads it; outside views, common.views.bad_request answers them.
        if isinstance(exc, SuspiciousOperation):
            return _suspicious_operation(exc)
        # Model validation (full_clean) in a service is a 400 with field errors, not a 500.
        if isinstance(exc, DjangoValidationError):
            return exceptions.ValidationError(as_serializer_error(exc))
        if is_database_unavailable(exc):
            note_database_unavailable(exc)
            return DatabaseUnavailable()
        return super().convert_known_exceptions(exc)

    def report_exception(self, exc: exceptions.APIException, response) -> None:
        # An outage is one warning line per request (note_database_unavailable), not a
        # traceback each: those stay for the 500s that are bugs.
        if not isinstance(exc, DatabaseUnavailable):
            super().report_exception(exc, response)

    def get_headers(self, exc: exceptions.APIException) -> dict:
        headers = super().get_headers(exc)
        if isinstance(exc, DatabaseUnavailable):
            headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return headers

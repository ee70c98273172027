"""Domain errors: services raise these; the exception handler renders them in the error shape."""

from django.conf import settings
from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ErrorDetail, ValidationError


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

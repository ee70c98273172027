"""Domain errors: services raise these; the exception handler renders them in the §9 shape."""

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

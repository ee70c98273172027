"""One exception handler for the API: drf-standardized-errors plus the cases it does not know."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework_simplejwt.exceptions import DetailDictMixin


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
        # Model validation (full_clean) in a service is a 400 with field errors, not a 500.
        if isinstance(exc, DjangoValidationError):
            return exceptions.ValidationError(as_serializer_error(exc))
        return super().convert_known_exceptions(exc)

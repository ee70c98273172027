"""OpenAPI helpers: error responses that drf-standardized-errors cannot infer (409, 422)."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from rest_framework import serializers

from .fields import StrictCharField


def _error_serializer(name: str, codes: tuple[str, ...], kinds):
    return inline_serializer(
        name,
        {
            "type": serializers.ChoiceField(choices=kinds.choices),
            "errors": inline_serializer(
                # the suffix keeps drf-standardized-errors' enum hook off these per-view codes
                f"{name}ErrorComponent",
                {
                    "code": serializers.ChoiceField(choices=list(codes)),
                    "detail": StrictCharField(),
                    "attr": StrictCharField(allow_null=True),
                },
                many=True,
            ),
        },
    )


def error_response(
    name: str, description: str, *codes: str, server_error: bool = False
) -> OpenApiResponse:
    """An error response in the one error shape whose `code` is one of `codes` (type `client_error`,
    or `server_error` for a 5xx)."""
    kinds = ServerErrorEnum if server_error else ClientErrorEnum
    return OpenApiResponse(response=_error_serializer(name, codes, kinds), description=description)

"""OpenAPI helpers: error responses that drf-standardized-errors cannot infer (409, 422)."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers


def _error_serializer(name: str, codes: tuple[str, ...]):
    return inline_serializer(
        name,
        {
            "type": serializers.ChoiceField(choices=ClientErrorEnum.choices),
            "errors": inline_serializer(
                # the suffix keeps drf-standardized-errors' enum hook off these per-view codes
                f"{name}ErrorComponent",
                {
                    "code": serializers.ChoiceField(choices=list(codes)),
                    "detail": serializers.CharField(),
                    "attr": serializers.CharField(allow_null=True),
                },
                many=True,
            ),
        },
    )


def error_response(name: str, description: str, *codes: str) -> OpenApiResponse:
    """An error response in the §9 shape whose `code` is one of `codes`."""
    return OpenApiResponse(response=_error_serializer(name, codes), description=description)

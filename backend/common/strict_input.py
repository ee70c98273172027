"""JSON request bodies are typed: a string field takes a JSON string, an integer field a JSON
integer, a boolean field `true` or `false`.

DRF's fields were written for HTML forms as well as JSON, so they coerce: `CharField` turns
`0` into `"0"`, `IntegerField` parses `"5"`, `BooleanField` reads `"yes"` and `1`. CareSlot only
parses JSON (`DEFAULT_PARSER_CLASSES`), its OpenAPI schema promises these exact types, and a
client that sends `"phone": 0` has a bug it should hear about, so the coercion is switched off
here, once, for every serializer (`CommonConfig.ready`).

Query parameters are strings on the wire: serializers reading `request.query_params` (the
reports) keep DRF's parsing, and django-filter's forms refuse what they cannot parse, except
booleans: `StrictDjangoFilterBackend` below.
"""

import django_filters
from django.http import QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

_installed = False


def _from_query_string(field) -> bool:
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


def _require(kind: type | tuple[type, ...], *, allow_bool: bool = False):
    def wrap(to_internal_value):
        def strict_to_internal_value(self, data):
            if _from_query_string(self):  # query strings carry only text: parse it as DRF does
                return to_internal_value(self, data)
            if not isinstance(data, kind) or (isinstance(data, bool) and not allow_bool):
                self.fail("invalid")
            return to_internal_value(self, data)

        strict_to_internal_value.__wrapped__ = to_internal_value
        return strict_to_internal_value

    return wrap


def install() -> None:
    """Make `CharField` (and its email, slug, regex, URL kinds), `IntegerField` and
    `BooleanField` refuse JSON values of another type with their usual `invalid` error."""
    global _installed
    if _installed:
        return
    serializers.CharField.to_internal_value = _require(str)(serializers.CharField.to_internal_value)
    # A float is let through for DRF to judge: 5.0 is an integer in JSON Schema, 5.5 is refused.
    serializers.IntegerField.to_internal_value = _require((int, float))(
        serializers.IntegerField.to_internal_value
    )
    # Decimals are strings in the schema (COERCE_DECIMAL_TO_STRING): "95.50", never 95.5.
    serializers.DecimalField.to_internal_value = _require(str)(
        serializers.DecimalField.to_internal_value
    )
    serializers.BooleanField.to_internal_value = _require(bool, allow_bool=True)(
        serializers.BooleanField.to_internal_value
    )
    _installed = True


BOOLEAN_QUERY_VALUES = {"true": "true", "1": "true", "false": "false", "0": "false"}


class StrictDjangoFilterBackend(DjangoFilterBackend):
    """django-filter, minus its silence on booleans it cannot read.

    A `BooleanFilter` turns any value it does not know (`?is_active=maybe`, and even `1` or
    `TRUE` for django's NullBooleanSelect) into "no filter", so a typo returns the unfiltered
    list. Here `true`/`false`/`1`/`0` (any case) are read as the boolean they spell, empty means
    "not given", and anything else is a 400 on that parameter."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        names = [
            name
            for name, query_filter in filterset_class.base_filters.items()
            if isinstance(query_filter, django_filters.BooleanFilter)
        ]
        if not any(name in kwargs["data"] for name in names):
            return kwargs
        data = kwargs["data"].copy()
        errors = {}
        for name in names:
            values = [value.strip().lower() for value in data.getlist(name)]
            if any(value and value not in BOOLEAN_QUERY_VALUES for value in values):
                errors[name] = [ErrorDetail("Use true or false.", code="invalid")]
            else:
                data.setlist(name, [BOOLEAN_QUERY_VALUES.get(value, "") for value in values])
        if errors:
            raise ValidationError(errors)
        kwargs["data"] = data
        return kwargs

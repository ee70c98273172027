"""Serializer fields that take JSON values of their own type only.

DRF's fields were written for HTML forms as well as JSON, so they coerce: `CharField` turns `0`
into `"0"`, `IntegerField` parses `"5"`, `BooleanField` reads `"yes"` and `1`, `DecimalField`
takes the float `95.5`. CareSlot parses only JSON bodies, its OpenAPI schema promises exact
types, and a client that sends `"phone": 0` has a bug it should hear about. Our serializers
therefore use these subclasses by name (and `StrictModelSerializer` maps model fields to them);
a wrongly typed value gets the field's usual `invalid` error.

Query parameters are text on the wire: a serializer reading `request.query_params` (a QueryDict)
keeps DRF's parsing.
"""

from django.http import QueryDict
from rest_framework import serializers


class StrictJSONTypeMixin:
    """Refuse input whose JSON type is not one of `json_types` (a bool is never a number)."""

    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data):
        from_query_string = isinstance(getattr(self.root, "initial_data", None), QueryDict)
        if not from_query_string:
            if not self._has_json_type(data):
                self.fail("invalid")
            self._check_length_as_sent(data)
        return super().to_internal_value(data)

    def _check_length_as_sent(self, data) -> None:
        # DRF measures a string after trimming it; the schema's maxLength is about what was
        # sent, so 500 characters and a trailing space are too many for max_length=500. (A
        # string too long even trimmed is left to DRF, which reports it with the other errors.)
        max_length = getattr(self, "max_length", None)
        if (
            isinstance(data, str)
            and max_length is not None
            and len(data.strip()) <= max_length < len(data)
        ):
            self.fail("max_length", max_length=max_length)

    def _has_json_type(self, data) -> bool:
        if isinstance(data, bool):
            return bool in self.json_types
        return isinstance(data, self.json_types)


class StrictCharField(StrictJSONTypeMixin, serializers.CharField):
    json_types = (str,)


class StrictUUIDField(StrictJSONTypeMixin, serializers.UUIDField):
    json_types = (str,)  # DRF's UUIDField also takes an integer


class StrictEmailField(StrictJSONTypeMixin, serializers.EmailField):
    json_types = (str,)


class StrictSlugField(StrictJSONTypeMixin, serializers.SlugField):
    json_types = (str,)


class StrictRegexField(StrictJSONTypeMixin, serializers.RegexField):
    json_types = (str,)


class StrictURLField(StrictJSONTypeMixin, serializers.URLField):
    json_types = (str,)


class StrictIPAddressField(StrictJSONTypeMixin, serializers.IPAddressField):
    json_types = (str,)


class StrictIntegerField(StrictJSONTypeMixin, serializers.IntegerField):
    # A float is let through for DRF to judge: 5.0 is an integer in JSON Schema, 5.5 is refused.
    json_types = (int, float)


class StrictDecimalField(StrictJSONTypeMixin, serializers.DecimalField):
    # Decimals are strings in the schema (COERCE_DECIMAL_TO_STRING): "95.50", never 95.5.
    json_types = (str,)


class StrictBigIntegerField(StrictJSONTypeMixin, serializers.BigIntegerField):
    json_types = (int, float)


class StrictBooleanField(StrictJSONTypeMixin, serializers.BooleanField):
    json_types = (bool,)


STRICT_KINDS = {
    serializers.BigIntegerField: StrictBigIntegerField,
    serializers.BooleanField: StrictBooleanField,
    serializers.CharField: StrictCharField,
    serializers.DecimalField: StrictDecimalField,
    serializers.EmailField: StrictEmailField,
    serializers.IntegerField: StrictIntegerField,
    serializers.IPAddressField: StrictIPAddressField,
    serializers.SlugField: StrictSlugField,
    serializers.URLField: StrictURLField,
}


# No docstring: drf-spectacular would show it as the description of every schema component.
class StrictModelSerializer(serializers.ModelSerializer):
    # Its generated fields are the strict kinds above.

    serializer_field_mapping = {
        model_field: STRICT_KINDS.get(field, field)
        for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
    }

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import OrderingFilter

from .date_windows import WindowedDateFilter
from .timezones import end_of_day, start_of_day, zone_or_error


def _nullable(model, path: str) -> bool:
    """Whether `path` (e.g. "user__last_name") can be NULL; unknown paths count as nullable."""
    try:
        for name in path.split("__"):
            field = model._meta.get_field(name)
            if field.null:
                return True
            model = field.related_model or model
    except FieldDoesNotExist:
        return True
    return False


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` with empty values last in both directions and the primary key as the final
    tie-breaker, so pages never overlap or skip rows."""

    def filter_queryset(self, request, queryset, view):
        ordering = list(self.get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in {"id", "pk"} for field in ordering):
            ordering.append("id")
        return queryset.order_by(*(self._expression(queryset.model, f) for f in ordering))

    @staticmethod
    def _expression(model, field: str):
        name = field.lstrip("-")
        # NULLS LAST only where NULLs can occur: on a NOT NULL column, "DESC NULLS LAST" sorts
        # the same rows the same way, but PostgreSQL cannot read it off a plain btree index
        # backwards (that gives NULLS FIRST), so a descending page sorted the whole table.
        nulls_last = True if _nullable(model, name) else None
        if field.startswith("-"):
            return F(name).desc(nulls_last=nulls_last)
        return F(name).asc(nulls_last=nulls_last)


class _StrictBooleanField(forms.NullBooleanField):
    widget = forms.TextInput  # hands over the raw value; NullBooleanSelect maps junk to None
    default_error_messages = {"invalid": "Use true or false."}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "True", "1"):
            return True
        if value in ("false", "False", "0"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """`true` or `false`; anything else is a 400, where a BooleanFilter ignores it silently."""

    field_class = _StrictBooleanField


def _validate_timezone(value: str) -> None:
    zone_or_error(value)


class TimeWindowFilterSet(django_filters.FilterSet):
    """`date`, `date_from`, `date_to` (whole days, inclusive) read in the `tz` zone, applied to
    the model's `time_field` (an aware datetime stored in UTC)."""

    time_field = "start"

    date = WindowedDateFilter(method="_defer", help_text="One day (in `tz`)")
    date_from = WindowedDateFilter(method="_defer", help_text="First day (in `tz`)")
    date_to = WindowedDateFilter(method="_defer", help_text="Last day, inclusive (in `tz`)")
    tz = django_filters.CharFilter(
        method="_defer",
        validators=[_validate_timezone],
        help_text="IANA time zone the dates are read in (default UTC)",
    )

    def _defer(self, queryset, name, value):
        return queryset  # applied together in filter_queryset, which needs `tz`

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        zone = zone_or_error(data.get("tz") or "UTC")
        first = data.get("date") or data.get("date_from")
        last = data.get("date") or data.get("date_to")
        if first and last and last < first:
            raise ValidationError(
                {"date_to": [ErrorDetail("date_to is before date_from.", code="invalid_range")]}
            )
        if first:
            queryset = queryset.filter(**{f"{self.time_field}__gte": start_of_day(first, zone)})
        if last:
            queryset = queryset.filter(**{f"{self.time_field}__lt": end_of_day(last, zone)})
        return queryset


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

"""Every writable field of every serializer our endpoints use is a strict kind (common.fields).

The strictness is opt-in by name, so a new serializer that reaches for DRF's `CharField` would
silently coerce `0` into `"0"` again; this walks the serializers the OpenAPI generator sees and
names any such field."""

from pathlib import Path

from django.apps import apps
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from common.fields import StrictJSONTypeMixin

COERCING_KINDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.DecimalField,
    serializers.IntegerField,
)


def _our_serializer_classes() -> set[type]:
    SchemaGenerator().get_schema(request=None, public=True)  # imports every view and serializer
    found, stack = set(), [serializers.Serializer]
    while stack:
        for subclass in stack.pop().__subclasses__():
            stack.append(subclass)
            if subclass.__module__.split(".")[0] in _our_apps():
                found.add(subclass)
    return found


def _our_apps() -> set[str]:
    backend = Path(apps.get_app_config("common").path).resolve().parent
    return {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == backend
    }


def _fields(serializer, path=""):
    for name, field in serializer.fields.items():
        yield f"{path}{name}", field
        if isinstance(field, serializers.BaseSerializer):
            child = getattr(field, "child", field)
            yield from _fields(child, f"{path}{name}.")
        elif isinstance(field, serializers.ListField | serializers.DictField):
            yield f"{path}{name}[]", field.child


def test_every_writable_field_of_our_serializers_is_strict():
    lax = []
    for cls in _our_serializer_classes():
        if issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"):
            continue  # a base class (StrictModelSerializer)
        try:
            serializer = cls()
        except TypeError:
            continue  # needs arguments: not an input serializer of an endpoint
        for path, field in _fields(serializer):
            if field.read_only or not isinstance(field, COERCING_KINDS):
                continue
            if not isinstance(field, StrictJSONTypeMixin):
                lax.append(f"{cls.__module__}.{cls.__qualname__}.{path}")
    assert lax == []


def test_the_walk_sees_the_registration_input():
    names = {cls.__qualname__ for cls in _our_serializer_classes()}
    assert {"PatientRegistrationSerializer", "BookingSerializer"} <= names

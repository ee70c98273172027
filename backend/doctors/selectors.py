"""Reads of doctors' reference data and of the caller's own doctor profile."""

from django.db.models import QuerySet
from rest_framework.exceptions import APIException, NotFound

from common.profiles import own_profile

from .models import Doctor, Specialty


def all_specialties() -> QuerySet[Specialty]:
    return Specialty.objects.all()


def own_doctor_profile(user, *, refusal: type[APIException] = NotFound) -> Doctor:
    """The caller's own doctor profile; `refusal` (404 unless the caller's context says 403)
    when they have none."""
    return own_profile(Doctor, user, refusal=refusal, kind="doctor")

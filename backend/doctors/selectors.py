"""Reads of doctors' reference data."""

from django.db.models import QuerySet

from .models import Specialty


def all_specialties() -> QuerySet[Specialty]:
    return Specialty.objects.all()

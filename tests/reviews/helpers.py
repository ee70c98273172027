"""Shared helpers for the review tests."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, DecimalField

from doctors.models import Doctor
from reviews.models import Review
from tests.factories import AppointmentFactory, in_hours

URL = "/api/v1/reviews/"


def completed_appointment(*, patient=None, doctor=None, hours_ago: float = 2, **fields):
    """A completed appointment `hours_ago` (distinct per doctor: their slots may not overlap)."""
    extra = {"patient": patient} if patient is not None else {}
    if doctor is not None:
        extra["slot__doctor"] = doctor
    return AppointmentFactory(
        status="completed", slot__start=in_hours(-hours_ago), **extra, **fields
    )


def fresh_aggregate(doctor: Doctor) -> tuple[Decimal | None, int]:
    """The doctor's average and count recomputed here, independently of the service: SQL AVG
    read as a Decimal, rounded half-up to 2 places."""
    figures = Review.objects.filter(doctor=doctor, is_hidden=False).aggregate(
        average=Avg("rating", output_field=DecimalField()), count=Count("pk")
    )
    average = figures["average"]
    if average is not None:
        average = Decimal(average).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return average, figures["count"]


def stored(doctor: Doctor) -> tuple[Decimal | None, int]:
    doctor.refresh_from_db(fields=["average_rating", "review_count"])
    return doctor.average_rating, doctor.review_count

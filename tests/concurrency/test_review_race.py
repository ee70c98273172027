"""Concurrent reviews of one doctor never leave a stale average: real threads, real PostgreSQL
connections, real HTTP stack."""

from collections import Counter

import pytest

from accounts.services import issue_tokens
from doctors.models import Doctor
from reviews.models import Review
from tests.concurrency.race import post_as, run_together
from tests.factories import AppointmentFactory, ClinicFactory, DoctorFactory, in_hours
from tests.reviews.helpers import fresh_aggregate

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/reviews/"
RATINGS = [5, 4, 4, 3, 5, 2, 5, 4, 1, 5]


def test_ten_concurrent_reviews_of_one_doctor_leave_the_exact_average():
    doctor, clinic = DoctorFactory(), ClinicFactory()
    appointments = [
        AppointmentFactory(
            status="completed",
            slot__doctor=doctor,
            slot__clinic=clinic,
            slot__start=in_hours(-2 - index),
        )
        for index in range(len(RATINGS))
    ]
    calls = [
        post_as(
            issue_tokens(user=appointment.patient.user)["access"],
            URL,
            {"appointment": str(appointment.pk), "rating": rating},
        )
        for appointment, rating in zip(appointments, RATINGS, strict=True)
    ]
    statuses = run_together(calls)
    assert statuses == [201] * len(RATINGS), statuses
    doctor = Doctor.objects.get(pk=doctor.pk)
    assert doctor.review_count == Review.objects.filter(doctor=doctor).count() == 10
    assert (doctor.average_rating, doctor.review_count) == fresh_aggregate(doctor)
    assert str(doctor.average_rating) == "3.80"


def test_one_appointment_reviewed_from_five_threads_gets_one_review():
    doctor = DoctorFactory()
    appointment = AppointmentFactory(
        status="completed", slot__doctor=doctor, slot__start=in_hours(-2)
    )
    token = issue_tokens(user=appointment.patient.user)["access"]
    statuses = run_together(
        [
            post_as(token, URL, {"appointment": str(appointment.pk), "rating": r})
            for r in range(1, 6)
        ]
    )
    assert Counter(statuses) == {201: 1, 409: 4}, statuses
    doctor = Doctor.objects.get(pk=doctor.pk)
    assert doctor.review_count == 1
    assert doctor.average_rating == Review.objects.get().rating

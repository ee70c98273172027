"""Concurrent reviews of one doctor never leave a stale average: real threads, real PostgreSQL
connections, real HTTP stack."""

from collections import Counter

import pytest

from accounts.services import issue_tokens
from doctors.models import Doctor
from reviews.models import Review, ReviewModerationEvent
from reviews.services import create_review
from tests.concurrency.race import post_as, request_as, run_together
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    in_hours,
    user_with_role,
)
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


def test_the_author_editing_and_deleting_while_a_moderator_hides_ends_as_a_serial_order():
    """Whatever the order, the end is one a serial order gives, and the doctor's stored average
    matches the reviews left: deleted (hiding found nothing: 404), or hidden (deleting a hidden
    review is refused: 409 review_hidden). Edits apply either way, or find the review gone."""
    moderator = user_with_role("platform_admin")
    outcomes = Counter()
    for round_number in range(6):
        doctor = DoctorFactory()
        other = AppointmentFactory(
            status="completed", slot__doctor=doctor, slot__start=in_hours(-3)
        )
        create_review(appointment=other, rating=5)
        appointment = AppointmentFactory(
            status="completed", slot__doctor=doctor, slot__start=in_hours(-2)
        )
        review = create_review(appointment=appointment, rating=1)
        author = appointment.patient
        edit, delete, hide = run_together(
            [
                request_as(author, "PATCH", f"{URL}{review.pk}/", {"rating": 2}),
                request_as(author, "DELETE", f"{URL}{review.pk}/"),
                post_as(moderator, f"{URL}{review.pk}/hide/", {"reason": f"Round {round_number}"}),
            ]
        )
        left = Review.objects.filter(pk=review.pk).first()
        if left is None:
            assert delete == 204, (edit, delete, hide)
            assert (hide, hide.error_code) == (404, "not_found")
            assert edit in (200, 404), edit
            assert not ReviewModerationEvent.objects.filter(reason=f"Round {round_number}")
        else:
            assert (hide, delete, delete.error_code) == (200, 409, "review_hidden"), (edit, delete)
            assert edit == 200, edit
            assert (left.is_hidden, left.rating) == (True, 2)
        doctor = Doctor.objects.get(pk=doctor.pk)
        assert (doctor.average_rating, doctor.review_count) == fresh_aggregate(doctor)
        outcomes["deleted" if left is None else "hidden"] += 1
    print(outcomes)

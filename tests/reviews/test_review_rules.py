"""The rules of reviews' services that `make mutate` showed no test pinned. The requests
cannot reach these branches (the serializer checks the rating's range first; the doctor lock
makes the duplicate and vanished-review checks win every race), so the services are called
directly: the branches are the last line of defence if a caller ever skips those checks."""

import pytest
from django.db import connection, transaction
from rest_framework.exceptions import NotFound, ValidationError

from reviews.models import Review
from reviews.services import ReviewExists, _save, create_review, update_review
from tests.reviews.helpers import completed_appointment

pytestmark = pytest.mark.django_db


def test_a_rating_out_of_range_is_refused_by_the_database_with_the_fields_message():
    appointment = completed_appointment()
    with pytest.raises(ValidationError) as refused:
        create_review(appointment=appointment, rating=7)
    assert refused.value.detail == {"rating": ["A rating is 1 to 5."]}
    assert refused.value.detail["rating"][0].code == "out_of_range"
    assert not Review.objects.exists()


def test_a_second_review_of_one_appointment_is_refused_by_its_unique_key():
    appointment = completed_appointment()
    create_review(appointment=appointment, rating=4)
    duplicate = Review(
        appointment=appointment,
        patient_id=appointment.patient_id,
        doctor_id=appointment.doctor_id,
        rating=5,
    )
    with pytest.raises(ReviewExists), transaction.atomic():
        _save(duplicate)
    assert Review.objects.filter(appointment=appointment).count() == 1


def test_editing_a_review_deleted_meanwhile_is_not_found():
    review = create_review(appointment=completed_appointment(), rating=3)
    with connection.cursor() as cursor:  # as if another request deleted it first
        cursor.execute("DELETE FROM reviews_review WHERE id = %s", [review.pk])
    with pytest.raises(NotFound) as missing:
        update_review(review=review, rating=5)
    assert str(missing.value.detail) == "No such review."

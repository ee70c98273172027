from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from reviews.services import create_review, hide_review
from tests.errors import assert_error
from tests.factories import (
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    UserFactory,
    user_with_role,
)
from tests.reviews.helpers import URL, completed_appointment

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return [review["id"] for review in response.json()["results"]]


def review_at(when, **appointment_fields):
    with time_machine.travel(when, tick=False):
        appointment = completed_appointment(**appointment_fields)
        return create_review(appointment=appointment, rating=4, comment="Fine")


def test_a_doctors_visible_reviews_newest_first_with_the_reviewer_as_first_name_and_initial(
    client_for, world
):
    now = timezone.now()
    older = review_at(now - timedelta(days=9), doctor=world.doctor, hours_ago=30)
    newer = review_at(
        now + timedelta(minutes=1),
        doctor=world.doctor,
        hours_ago=40,
        patient=PatientFactory(user__first_name="Lena", user__last_name="von Berg"),
    )
    review_at(now, doctor=world.other_doctor)
    response = client_for(world.other_patient.user).get(f"{URL}?doctor={world.doctor.pk}")
    assert ids(response) == [str(newer.pk), str(world.review.pk), str(older.pk)]
    first = response.json()["results"][0]
    assert first["reviewer"] == "Lena v."
    assert set(first) == {
        "id",
        "doctor",
        "reviewer",
        "rating",
        "comment",
        "is_hidden",
        "created_at",
        "updated_at",
    }
    assert "Berg" not in str(response.json())


def test_hidden_reviews_are_listed_only_on_request_and_only_to_admins_and_authors(
    client_for, world
):
    by_doctor = f"{URL}?doctor={world.doctor.pk}"
    hidden = f"{URL}?is_hidden=true"
    for user in (world.patient.user, world.platform_admin, world.doctor.user):
        assert ids(client_for(user).get(by_doctor)) == [str(world.review.pk)]
    admin = client_for(world.platform_admin)
    assert ids(admin.get(hidden)) == [str(world.hidden_review.pk)]
    assert ids(admin.get(f"{URL}?is_hidden=false")) == [str(world.review.pk)]
    assert ids(admin.get(f"{URL}?is_hidden=")) == [str(world.review.pk)]
    assert ids(client_for(world.patient.user).get(hidden)) == [str(world.hidden_review.pk)]
    assert ids(client_for(world.other_patient.user).get(hidden)) == []
    assert ids(client_for(world.doctor.user).get(hidden)) == []


def test_reviews_of_doctors_out_of_the_directory_are_not_listed(client_for, world):
    review = create_review(appointment=completed_appointment(doctor=world.doctor), rating=5)
    world.doctor.user.is_active = False
    world.doctor.user.save(update_fields=["is_active"])
    reader = client_for(world.other_patient.user)
    assert ids(reader.get(f"{URL}?doctor={world.doctor.pk}")) == []
    assert_error(reader.get(f"{URL}{review.pk}/"), 404, "not_found")
    assert ids(client_for(world.platform_admin).get(f"{URL}?doctor={world.doctor.pk}")) == [
        str(review.pk),
        str(world.review.pk),
    ]
    # Authors keep seeing what they wrote.
    assert str(review.pk) in ids(client_for(review.patient.user).get(f"{URL}mine/"))


def test_an_unknown_doctor_is_an_empty_page_not_an_error(client_for, world):
    response = client_for(world.patient.user).get(
        f"{URL}?doctor=00000000-0000-4000-8000-000000000000"
    )
    assert ids(response) == []


def test_rating_filters_and_ordering(client_for, world):
    low = create_review(appointment=completed_appointment(doctor=world.doctor), rating=2)
    client = client_for(world.patient.user)
    base = f"{URL}?doctor={world.doctor.pk}"
    assert ids(client.get(f"{base}&rating=2")) == [str(low.pk)]
    assert ids(client.get(f"{base}&min_rating=3")) == [str(world.review.pk)]
    assert ids(client.get(f"{base}&ordering=rating")) == [str(low.pk), str(world.review.pk)]


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("doctor=x", "doctor", "invalid"),
        ("rating=9", "rating", "max_value"),
        ("min_rating=0", "min_rating", "min_value"),
        ("is_hidden=maybe", "is_hidden", "invalid"),
    ],
)
def test_bad_list_filters(client_for, world, query, attr, code):
    assert_error(client_for(world.patient.user).get(f"{URL}?{query}"), 400, code, attr=attr)


def test_my_reviews_include_hidden_ones_and_nobody_elses(client_for, world):
    create_review(appointment=completed_appointment(doctor=world.other_doctor), rating=3)
    response = client_for(world.patient.user).get(f"{URL}mine/")
    assert ids(response) == [str(world.hidden_review.pk), str(world.review.pk)]
    hidden = response.json()["results"][0]
    assert (hidden["is_hidden"], hidden["appointment"]) == (
        True,
        str(world.hidden_review.appointment_id),
    )
    assert "hidden_reason" not in hidden
    assert ids(client_for(world.other_patient.user).get(f"{URL}mine/")) == []


def test_the_author_edits_a_hidden_review_and_it_stays_hidden(client_for, world):
    response = client_for(world.patient.user).patch(
        f"{URL}{world.hidden_review.pk}/", {"rating": 3, "comment": "Without the link"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["is_hidden"], response.json()["rating"]) == (True, 3)
    world.doctor.refresh_from_db()
    assert world.doctor.review_count == 1


def test_readers_see_visible_reviews_and_admins_filter_hidden_ones(client_for):
    doctor, clinic = DoctorFactory(), ClinicFactory()
    for index in range(50):
        appointment = completed_appointment(doctor=doctor, slot__clinic=clinic, hours_ago=2 + index)
        review = create_review(appointment=appointment, rating=1 + index % 5)
        if index % 10 == 0:
            hide_review(review=review, moderator=UserFactory(), reason="Test")
    reader = client_for(PatientFactory().user)
    response = reader.get(f"{URL}?doctor={doctor.pk}&page_size=50")
    assert response.json()["count"] == 45
    assert not any(review["is_hidden"] for review in response.json()["results"])
    admin = client_for(user_with_role("platform_admin"))
    assert admin.get(f"{URL}?page_size=50&is_hidden=true").json()["count"] == 5

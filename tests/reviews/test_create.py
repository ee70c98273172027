import pytest
from django.db import IntegrityError
from rest_framework.exceptions import ValidationError

from reviews.models import Review
from reviews.services import create_review
from tests.errors import assert_error
from tests.factories import AppointmentFactory, PatientFactory, in_hours
from tests.reviews.helpers import URL, completed_appointment, stored

pytestmark = pytest.mark.django_db


def review(client, appointment, **body):
    return client.post(URL, {"appointment": str(appointment.pk), "rating": 4} | body)


def test_patient_reviews_a_completed_appointment(client_for):
    appointment = completed_appointment()
    response = review(
        client_for(appointment.patient.user), appointment, rating=5, comment="Very kind."
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["appointment"] == str(appointment.pk)
    assert body["doctor"]["id"] == str(appointment.doctor_id)
    assert (body["rating"], body["comment"], body["is_hidden"]) == (5, "Very kind.", False)
    user = appointment.patient.user
    assert body["reviewer"] == f"{user.first_name} {user.last_name[0]}."
    assert stored(appointment.doctor) == (5, 1)


@pytest.mark.parametrize("status", ["booked", "no_show", "cancelled"])
def test_an_appointment_that_is_not_completed_cannot_be_reviewed(client_for, status):
    fields = {"cancelled_at": in_hours(-30)} if status == "cancelled" else {}
    appointment = AppointmentFactory(status=status, slot__start=in_hours(-24), **fields)
    response = review(client_for(appointment.patient.user), appointment)
    assert_error(response, 409, "appointment_not_completed")
    assert not Review.objects.exists()


def test_an_upcoming_booked_appointment_cannot_be_reviewed(client_for, world):
    response = review(client_for(world.patient.user), world.appointment)
    assert_error(response, 409, "appointment_not_completed")


def test_an_appointment_is_reviewed_once(client_for):
    appointment = completed_appointment()
    client = client_for(appointment.patient.user)
    assert review(client, appointment, rating=2).status_code == 201
    assert_error(review(client, appointment, rating=5), 409, "review_exists")
    assert Review.objects.get().rating == 2
    assert stored(appointment.doctor) == (2, 1)


def test_another_patients_appointment_is_not_found(client_for):
    appointment = completed_appointment()
    response = review(client_for(PatientFactory().user), appointment)
    assert_error(response, 404, "not_found")
    assert not Review.objects.exists()


def test_an_unknown_appointment_is_not_found(client_for):
    response = client_for(PatientFactory().user).post(
        URL, {"appointment": "00000000-0000-4000-8000-000000000000", "rating": 3}
    )
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(("rating", "code"), [(0, "min_value"), (6, "max_value")])
def test_rating_outside_one_to_five_is_refused(client_for, rating, code):
    appointment = completed_appointment()
    response = review(client_for(appointment.patient.user), appointment, rating=rating)
    assert_error(response, 400, code, attr="rating")
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"rating": None}, "rating", "null"),
        ({"rating": "five"}, "rating", "invalid"),
        ({"rating": 4.5}, "rating", "invalid"),
        ({"comment": "x" * 2001}, "comment", "max_length"),
        ({"appointment": "nope"}, "appointment", "invalid"),
    ],
)
def test_bad_review_input(client_for, body, attr, code):
    appointment = completed_appointment()
    body = {"appointment": str(appointment.pk), "rating": 4} | body
    response = client_for(appointment.patient.user).post(URL, body)
    assert_error(response, 400, code, attr=attr)


def test_the_database_refuses_a_rating_outside_one_to_five():
    appointment = completed_appointment()
    with pytest.raises(IntegrityError, match="review_rating_1_to_5"):
        Review.objects.create(
            appointment=appointment,
            patient=appointment.patient,
            doctor=appointment.doctor,
            rating=6,
        )


def test_the_service_turns_the_rating_constraint_into_a_field_error():
    appointment = completed_appointment()
    with pytest.raises(ValidationError) as refused:
        create_review(appointment=appointment, rating=6)
    assert refused.value.get_codes() == {"rating": ["out_of_range"]}
    assert stored(appointment.doctor) == (None, 0)

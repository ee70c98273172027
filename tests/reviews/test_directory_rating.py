"""The doctor directory orders and filters by the stored rating columns, never by a join."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ClinicFactory, DoctorFactory, PatientFactory
from tests.reviews.helpers import URL, completed_appointment

pytestmark = pytest.mark.django_db

DIRECTORY = "/api/v1/doctors/"


def test_directory_reflects_reviews_through_the_stored_columns(client_for):
    clinic = ClinicFactory()
    doctors = {name: DoctorFactory(user__last_name=name) for name in ("Ames", "Berg", "Cole")}
    for name, ratings in {"Ames": [3, 4], "Berg": [5, 5, 4]}.items():
        for index, rating in enumerate(ratings):
            appointment = completed_appointment(
                doctor=doctors[name], slot__clinic=clinic, hours_ago=2 + index
            )
            response = client_for(appointment.patient.user).post(
                URL, {"appointment": str(appointment.pk), "rating": rating}
            )
            assert response.status_code == 201, response.content
    reader = client_for(PatientFactory().user)
    with CaptureQueriesContext(connection) as queries:
        response = reader.get(f"{DIRECTORY}?ordering=-average_rating")
    assert response.status_code == 200, response.content
    assert [
        (d["last_name"], d["average_rating"], d["review_count"]) for d in response.json()["results"]
    ] == [
        ("Berg", "4.67", 3),
        ("Ames", "3.50", 2),
        ("Cole", None, 0),  # no rating sorts last in both directions
    ]
    assert not any("reviews_review" in query["sql"] for query in queries.captured_queries)
    response = reader.get(f"{DIRECTORY}?min_rating=4")
    assert [d["last_name"] for d in response.json()["results"]] == ["Berg"]
    doctors["Berg"].refresh_from_db()
    assert doctors["Berg"].average_rating == Decimal("4.67")

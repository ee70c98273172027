"""The doctor's stored average_rating/review_count always equal a fresh aggregate of the
visible reviews, after every kind of review write."""

from decimal import Decimal

import pytest

from reviews.models import Review
from reviews.services import average_rating, create_review
from tests.factories import ClinicFactory, DoctorFactory, PatientFactory, user_with_role
from tests.reviews.helpers import URL, completed_appointment, fresh_aggregate, stored

pytestmark = pytest.mark.django_db


def test_stored_rating_equals_a_fresh_aggregate_after_each_write(client_for):
    doctor, clinic = DoctorFactory(), ClinicFactory()
    admin = client_for(user_with_role("platform_admin"))
    appointments = [
        completed_appointment(doctor=doctor, slot__clinic=clinic, hours_ago=2 + i) for i in range(3)
    ]
    clients = [client_for(a.patient.user) for a in appointments]
    assert stored(doctor) == (None, 0)

    ids = []
    for client, appointment, rating in zip(clients, appointments, [5, 4, 4], strict=True):
        response = client.post(URL, {"appointment": str(appointment.pk), "rating": rating})
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
        assert stored(doctor) == fresh_aggregate(doctor)
    assert stored(doctor) == (Decimal("4.33"), 3)

    hide = {"reason": "Spam"}
    steps = [
        ("edit", lambda: clients[1].patch(f"{URL}{ids[1]}/", {"rating": 1}), ("3.33", 3)),
        ("hide", lambda: admin.post(f"{URL}{ids[0]}/hide/", hide), ("2.50", 2)),
        ("unhide", lambda: admin.post(f"{URL}{ids[0]}/unhide/"), ("3.33", 3)),
        ("delete", lambda: clients[2].delete(f"{URL}{ids[2]}/"), ("3.00", 2)),
        ("hide another", lambda: admin.post(f"{URL}{ids[0]}/hide/", hide), ("1.00", 1)),
        ("hide the last", lambda: admin.post(f"{URL}{ids[1]}/hide/", hide), (None, 0)),
    ]
    for name, step, (average, count) in steps:
        response = step()
        assert response.status_code in (200, 204), (name, response.content)
        expected = (Decimal(average) if average else None, count)
        assert stored(doctor) == fresh_aggregate(doctor) == expected, name


def test_editing_only_the_comment_keeps_the_figures_and_other_doctors_are_untouched(client_for):
    mine, other = DoctorFactory(), DoctorFactory()
    appointment = completed_appointment(doctor=mine)
    review = create_review(appointment=appointment, rating=3)
    create_review(appointment=completed_appointment(doctor=other), rating=5)
    response = client_for(appointment.patient.user).patch(
        f"{URL}{review.pk}/", {"comment": "Better on reflection"}
    )
    assert response.status_code == 200, response.content
    assert stored(mine) == fresh_aggregate(mine) == (Decimal("3.00"), 1)
    assert stored(other) == fresh_aggregate(other) == (Decimal("5.00"), 1)


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        (169, 40, Decimal("4.23")),  # 4.225 exactly: as a float it is 4.22499... and rounds down
        (13, 3, Decimal("4.33")),
        (14, 3, Decimal("4.67")),
        (9, 8, Decimal("1.13")),  # 1.125
        (5, 1, Decimal("5.00")),
        (0, 0, None),
    ],
)
def test_average_is_exact_and_rounded_half_up(total, count, expected):
    assert average_rating(total, count) == expected


def test_a_half_cent_average_is_stored_rounded_up():
    """40 reviews summing to 169: the mean is exactly 4.225 (a float would give 4.22)."""
    doctor, clinic = DoctorFactory(), ClinicFactory()
    ratings = [5] * 9 + [4] * 31  # 45 + 124 = 169
    for index, rating in enumerate(ratings):
        appointment = completed_appointment(
            doctor=doctor, slot__clinic=clinic, hours_ago=2 + index, patient=PatientFactory()
        )
        create_review(appointment=appointment, rating=rating)
    assert stored(doctor) == fresh_aggregate(doctor) == (Decimal("4.23"), 40)
    assert Review.objects.filter(doctor=doctor).count() == 40

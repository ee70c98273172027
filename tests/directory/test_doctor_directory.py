from decimal import Decimal

import pytest

from doctors.models import Doctor, DoctorLanguage
from tests.errors import assert_error
from tests.factories import (
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    SpecialtyFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/doctors/"


@pytest.fixture
def directory():
    cardio = SpecialtyFactory(slug="cardiology", name="Cardiology")
    derma = SpecialtyFactory(slug="dermatology", name="Dermatology")
    berlin = ClinicFactory(city="Berlin")
    boston = ClinicFactory(city="Boston", country="US", timezone="America/New_York")
    closed = ClinicFactory(city="Paris", country="FR", timezone="Europe/Paris", is_active=False)
    anna = DoctorFactory(
        specialty=cardio,
        user__first_name="Anna",
        user__last_name="Adler",
        average_rating=Decimal("4.80"),
        consultation_fee=Decimal("120.00"),
    )
    ben = DoctorFactory(
        specialty=derma,
        user__first_name="Ben",
        user__last_name="Bauer",
        average_rating=Decimal("3.90"),
        consultation_fee=Decimal("60.00"),
    )
    cara = DoctorFactory(specialty=cardio, user__first_name="Cara", user__last_name="Conti")
    hidden = DoctorFactory(specialty=cardio, is_confirmed=False, user__last_name="Hidden")
    gone = DoctorFactory(specialty=cardio, user__last_name="Gone", user__is_active=False)
    AssociationFactory(doctor=anna, clinic=berlin, title="Head of cardiology")
    AssociationFactory(doctor=ben, clinic=boston)
    AssociationFactory(doctor=cara, clinic=closed)
    AssociationFactory(doctor=cara, clinic=boston, is_active=False, ended_on="2024-06-01")
    DoctorLanguage.objects.create(doctor=anna, language="de")
    DoctorLanguage.objects.create(doctor=anna, language="en")
    DoctorLanguage.objects.create(doctor=ben, language="en")
    return {
        "anna": anna,
        "ben": ben,
        "cara": cara,
        "hidden": hidden,
        "gone": gone,
        "berlin": berlin,
        "boston": boston,
        "closed": closed,
    }


@pytest.fixture
def patient_client(client_for):
    return client_for(user_with_role("patient"))


def names(response):
    assert response.status_code == 200, response.content
    return [doctor["last_name"] for doctor in response.json()["results"]]


def test_directory_lists_confirmed_active_doctors_with_nested_clinics(patient_client, directory):
    response = patient_client.get(URL)
    assert names(response) == ["Adler", "Bauer", "Conti"]
    anna = response.json()["results"][0]
    assert anna["specialty"] == {
        "id": str(directory["anna"].specialty_id),
        "name": "Cardiology",
        "slug": "cardiology",
    }
    assert anna["languages"] == ["de", "en"]
    assert [(c["name"], c["title"], c["timezone"]) for c in anna["clinics"]] == [
        (directory["berlin"].name, "Head of cardiology", "Europe/Berlin")
    ]
    conti = response.json()["results"][2]
    assert conti["clinics"] == []  # inactive clinic and ended association are not shown


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("specialty=cardiology", ["Adler", "Conti"]),
        ("city=berlin", ["Adler"]),
        ("city=Paris", []),
        ("language=en", ["Adler", "Bauer"]),
        ("min_rating=4.5", ["Adler"]),
        ("search=ben", ["Bauer"]),
        ("search=anna adler", ["Adler"]),
        ("ordering=-average_rating", ["Adler", "Bauer", "Conti"]),
        ("ordering=consultation_fee", ["Bauer", "Conti", "Adler"]),
    ],
)
def test_directory_filters_and_ordering(patient_client, directory, query, expected):
    assert names(patient_client.get(f"{URL}?{query}")) == expected


def test_filter_by_clinic(patient_client, directory):
    assert names(patient_client.get(f"{URL}?clinic={directory['boston'].pk}")) == ["Bauer"]


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("min_rating=abc", "min_rating", "invalid"),
        ("min_rating=9", "min_rating", "max_value"),
        ("specialty=astrology", "specialty", "invalid_choice"),
        ("language=xx", "language", "invalid_choice"),
        ("clinic=not-a-uuid", "clinic", "invalid"),
        ("page_size=0", "page_size", "invalid"),
    ],
)
def test_invalid_filter_values_are_field_errors(patient_client, directory, query, attr, code):
    assert_error(patient_client.get(f"{URL}?{query}"), 400, code, attr=attr)


def test_platform_admin_sees_unconfirmed_and_can_filter_them(client_for, directory):
    admin = client_for(user_with_role("platform_admin"))
    assert names(admin.get(f"{URL}?is_confirmed=false")) == ["Hidden"]
    assert "Gone" in names(admin.get(URL))


def test_unconfirmed_doctor_sees_only_themselves_besides_the_directory(client_for, directory):
    client = client_for(directory["hidden"].user)
    assert names(client.get(URL)) == ["Adler", "Bauer", "Conti", "Hidden"]


def test_page_size_is_capped(patient_client, directory):
    for _ in range(3):
        DoctorFactory()
    response = patient_client.get(f"{URL}?page_size=100000")
    assert response.status_code == 200
    assert response.json()["count"] == 6


def test_doctor_updates_own_profile(client_for, directory):
    anna = directory["anna"]
    neuro = SpecialtyFactory(slug="neurology", name="Neurology")
    response = client_for(anna.user).patch(
        f"{URL}me/",
        {
            "bio": "Heart specialist",
            "languages": ["it", "it", "de"],
            "consultation_fee": "99.90",
            "specialty": "neurology",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["languages"] == ["de", "it"]
    assert body["consultation_fee"] == "99.90"
    assert body["specialty"]["id"] == str(neuro.pk)


def test_doctor_cannot_mass_assign_rating_confirmation_or_owner(client_for, directory):
    hidden = directory["hidden"]
    other_user = directory["anna"].user
    response = client_for(hidden.user).patch(
        f"{URL}{hidden.pk}/",
        {
            "is_confirmed": True,
            "average_rating": "5.00",
            "review_count": 99,
            "user": str(other_user.pk),
            "user_id": str(other_user.pk),
            "license_number": "FORGED",
            "confirmed_at": "2020-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 200
    hidden.refresh_from_db()
    assert hidden.is_confirmed is False
    assert hidden.average_rating is None
    assert hidden.review_count == 0
    assert hidden.user_id != other_user.pk
    assert hidden.license_number != "FORGED"


@pytest.mark.parametrize(
    ("payload", "attr", "code"),
    [
        ({"consultation_fee": "-5"}, "consultation_fee", "min_value"),
        ({"consultation_fee": "abc"}, "consultation_fee", "invalid"),
        ({"languages": ["klingon"]}, "languages.0", "invalid_choice"),
        ({"specialty": "nope"}, "specialty", "does_not_exist"),
        ({"first_name": ""}, "first_name", "blank"),
    ],
)
def test_bad_profile_input_is_a_field_error(client_for, directory, payload, attr, code):
    response = client_for(directory["anna"].user).patch(f"{URL}me/", payload)
    assert_error(response, 400, code, attr=attr)


def test_confirming_a_doctor_lists_them_and_emails_them(client_for, directory, outbox, run_tasks):
    hidden = directory["hidden"]
    admin = client_for(user_with_role("platform_admin"))
    response = admin.post(f"{URL}{hidden.pk}/confirm/")
    assert response.status_code == 200, response.content
    assert run_tasks() == 1
    assert response.json()["is_confirmed"] is True
    assert [message.to for message in outbox] == [[hidden.user.email]]
    patient = client_for(user_with_role("patient"))
    assert "Hidden" in names(patient.get(URL))
    assert_error(admin.post(f"{URL}{hidden.pk}/confirm/"), 409, "doctor_already_confirmed")
    assert Doctor.objects.get(pk=hidden.pk).confirmed_by_id is not None


@pytest.mark.parametrize(
    ("change", "reviewed_again"),
    [
        ({"first_name": "Annette"}, True),
        ({"last_name": "Adlerova"}, True),
        ({"specialty": "dermatology"}, True),
        ({"bio": "Now with a longer bio", "consultation_fee": "130.00"}, False),
        ({"first_name": "Anna", "specialty": "cardiology"}, False),  # the same values again
    ],
)
def test_a_confirmed_doctor_who_changes_name_or_specialty_goes_back_to_review(
    client_for, patient_client, directory, change, reviewed_again
):
    """What the confirmation vouched for cannot be changed under it: a new name or specialty
    takes the doctor out of the directory until a platform admin confirms them again."""
    anna = directory["anna"]
    response = client_for(anna.user).patch(f"{URL}me/", change)
    assert response.status_code == 200, response.content
    anna.refresh_from_db()
    assert anna.is_confirmed is not reviewed_again
    assert ("Adler" in names(patient_client.get(URL))) is not reviewed_again
    if reviewed_again:
        admin = client_for(user_with_role("platform_admin"))
        assert admin.post(f"{URL}{anna.pk}/confirm/", {}).status_code == 200
        assert len(names(patient_client.get(URL))) == 3


def test_a_platform_admins_edit_of_a_name_needs_no_review(client_for, directory):
    anna = directory["anna"]
    admin = client_for(user_with_role("platform_admin"))
    response = admin.patch(f"{URL}{anna.pk}/", {"last_name": "Adler-Berg"})
    assert response.status_code == 200, response.content
    anna.refresh_from_db()
    assert anna.is_confirmed is True

import pytest

from accounts.models import Role, User
from doctors.models import Doctor
from patients.models import Patient
from tests.errors import assert_error
from tests.factories import PASSWORD, DoctorFactory, SpecialtyFactory, UserFactory

pytestmark = pytest.mark.django_db

PATIENT_URL = "/api/v1/auth/register/patient/"
DOCTOR_URL = "/api/v1/auth/register/doctor/"


def patient_payload(**overrides):
    return {
        "email": "Anna.Berg@Example.com",
        "password": PASSWORD,
        "first_name": "Anna",
        "last_name": "Berg",
        "date_of_birth": "1991-04-02",
        "gender": "female",
        **overrides,
    }


def test_patient_registration_creates_account_profile_role_and_sends_confirmation(
    api_client, outbox, run_tasks
):
    response = api_client.post(PATIENT_URL, patient_payload())

    assert response.status_code == 201, response.content
    assert response.json()["roles"] == ["patient"]
    assert response.json()["email"] == "anna.berg@example.com"
    user = User.objects.get(email="anna.berg@example.com")
    assert user.email_confirmed_at is None
    assert Patient.objects.get(user=user).gender == "female"
    assert outbox == []
    assert run_tasks() == 1
    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == ["anna.berg@example.com"]
    assert "/confirm-email?token=" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert "password" not in response.json()


def test_an_email_with_an_account_answers_like_a_new_one_and_warns_its_owner(
    api_client, outbox, run_tasks
):
    owner = UserFactory(email="anna.berg@example.com", first_name="Original")
    taken = api_client.post(PATIENT_URL, patient_payload(email="ANNA.BERG@example.COM"))
    new = api_client.post(PATIENT_URL, patient_payload(email="someone.else@example.com"))

    assert taken.status_code == new.status_code == 201
    assert taken.json() == {**new.json(), "email": "anna.berg@example.com"}
    assert User.objects.filter(email__iexact="anna.berg@example.com").get() == owner
    assert not Patient.objects.filter(user=owner).exists()
    assert run_tasks() == 2
    to_owner = next(message for message in outbox if message.to == [owner.email])
    assert "already has one" in to_owner.body
    assert "Original" in to_owner.body


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "password_too_short"),
        ("password123", "password_too_common"),
        ("83920174659", "password_entirely_numeric"),
        ("anna.berg@example", "password_too_similar"),
    ],
)
def test_weak_password_is_refused_with_the_validator_message(api_client, password, code):
    response = api_client.post(PATIENT_URL, patient_payload(password=password))
    body = assert_error(response, 400, code, attr="password")
    assert any("password" in error["detail"].lower() for error in body["errors"])
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "not-an-email", "invalid"),
        ("date_of_birth", "02/04/1991", "invalid"),
        ("gender", "robot", "invalid_choice"),
        ("first_name", "", "blank"),
    ],
)
def test_bad_patient_input_is_a_field_error(api_client, field, value, code):
    response = api_client.post(PATIENT_URL, patient_payload(**{field: value}))
    assert_error(response, 400, code, attr=field)


def test_missing_profile_field_is_a_field_error(api_client):
    payload = patient_payload()
    del payload["date_of_birth"]
    assert_error(api_client.post(PATIENT_URL, payload), 400, "required", attr="date_of_birth")


def doctor_payload(**overrides):
    specialty = SpecialtyFactory(slug="cardiology", name="Cardiology")
    return {
        "email": "dr.heart@example.com",
        "password": PASSWORD,
        "first_name": "Hanna",
        "last_name": "Herz",
        "license_number": "DE-CARD-1",
        "specialty": specialty.slug,
        "languages": ["de", "en"],
        "consultation_fee": "95.50",
        **overrides,
    }


def test_doctor_registration_starts_unconfirmed(api_client, outbox, run_tasks):
    response = api_client.post(DOCTOR_URL, doctor_payload())

    assert response.status_code == 201, response.content
    assert response.json()["roles"] == [Role.DOCTOR]
    assert run_tasks() == 1
    doctor = Doctor.objects.get(user__email="dr.heart@example.com")
    assert doctor.is_confirmed is False
    assert str(doctor.consultation_fee) == "95.50"
    assert sorted(doctor.languages.values_list("language", flat=True)) == ["de", "en"]
    assert len(outbox) == 1


def test_a_taken_license_creates_nothing_and_mails_the_address(api_client, outbox, run_tasks):
    DoctorFactory(license_number="DE-CARD-1")
    response = api_client.post(DOCTOR_URL, doctor_payload())
    assert response.status_code == 201, response.content
    assert response.json()["roles"] == [Role.DOCTOR]
    assert not User.objects.filter(email="dr.heart@example.com").exists()
    assert Doctor.objects.filter(license_number="DE-CARD-1").count() == 1
    assert run_tasks() == 1
    [message] = outbox
    assert message.to == ["dr.heart@example.com"]
    assert "belongs to a doctor who is registered already" in " ".join(message.body.split())


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("specialty", "astrology", "does_not_exist"),
        ("languages", ["xx"], "invalid_choice"),
        ("consultation_fee", "-1", "min_value"),
        ("consultation_fee", "12.345", "max_decimal_places"),
    ],
)
def test_bad_doctor_input_is_a_field_error(api_client, field, value, code):
    response = api_client.post(DOCTOR_URL, doctor_payload(**{field: value}))
    body = assert_error(response, 400, code)
    assert body["errors"][0]["attr"].startswith(field)


def test_registration_cannot_grant_itself_roles_or_confirmation(api_client):
    response = api_client.post(
        DOCTOR_URL,
        doctor_payload(
            is_confirmed=True, roles=["platform_admin"], is_staff=True, average_rating=5
        ),
    )
    assert response.status_code == 201
    user = User.objects.get(email="dr.heart@example.com")
    assert list(user.roles.values_list("role", flat=True)) == ["doctor"]
    assert user.is_staff is False
    assert user.doctor.is_confirmed is False
    assert user.doctor.average_rating is None

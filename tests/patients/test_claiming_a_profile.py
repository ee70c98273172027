"""A dependent who came of age (or an adult in care) claims their profile with an account of
their own, through a link their guardian asks for (docs/families.md)."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from appointments.services import book_appointment
from patients.models import Guardianship
from patients.services import add_dependent
from tests.errors import assert_error
from tests.factories import PatientFactory, SlotFactory, UserFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
CLAIM = f"{V1}/dependents/claim/"
PASSWORD = "a long enough passphrase 7"


def dependent_of(guardian, *, years: int):
    today = timezone.localdate()
    return add_dependent(
        guardian=guardian,
        first_name="Mia",
        last_name="Patient",
        date_of_birth=date(today.year - years, 1, 1),
        relationship="child" if years < 30 else "parent",
    ).dependent


def invitation_token(outbox) -> str:
    (message,) = outbox
    return re.search(r"token=(\S+)", message.body).group(1)


def invite(client_for, guardian, dependent, email="mia@example.com"):
    return client_for(guardian.user).post(
        f"{V1}/dependents/{dependent.pk}/claim-invitation/", {"email": email}
    )


def test_a_young_adult_claims_their_profile_and_the_guardian_loses_access(
    client_for, run_tasks, outbox, settings
):
    settings.AGE_OF_MAJORITY = 18
    guardian = PatientFactory()
    today = timezone.localdate()
    born = today - timedelta(days=365 * 18)  # of age within a few days
    dependent = add_dependent(
        guardian=guardian,
        first_name="Mia",
        last_name="Patient",
        date_of_birth=born,
        relationship="child",
    ).dependent
    appointment = book_appointment(
        patient=dependent,
        slot_id=SlotFactory(start=timezone.now() + timedelta(days=30)).pk,
        booked_by=guardian.user,
    ).appointment
    run_tasks()
    outbox.clear()
    assert_error(invite(client_for, guardian, dependent), 409, "dependent_not_of_age")
    with time_machine.travel(timezone.now() + timedelta(days=7), tick=True):
        assert invite(client_for, guardian, dependent, "Mia@Example.com").status_code == 202
        assert run_tasks() == 1
        assert outbox[0].to == ["mia@example.com"]
        token = invitation_token(outbox)
        response = client_for().post(CLAIM, {"token": token, "password": PASSWORD})
        assert response.status_code == 200, response.content
        assert response.json() == {"id": str(dependent.pk), "email": "mia@example.com"}
        dependent.refresh_from_db()
        dependent.user.refresh_from_db()
        assert not dependent.is_dependent
        assert dependent.user.has_role(Role.PATIENT)
        assert dependent.user.email_confirmed_at is not None
        guardianship = Guardianship.objects.get(dependent=dependent)
        assert guardianship.end_reason == "claimed"
        # Their own login now sees their appointment; the former guardian does not.
        login = client_for().post(
            f"{V1}/auth/login/", {"email": "mia@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200, login.content
        mine = client_for(dependent.user).get(f"{V1}/appointments/").json()["results"]
        assert [row["id"] for row in mine] == [str(appointment.pk)]
        former = client_for(guardian.user)
        assert_error(former.get(f"{V1}/appointments/{appointment.pk}/"), 404, "not_found")
        assert_error(invite(client_for, guardian, dependent), 404, "not_found")
        # The link works once.
        again = client_for().post(CLAIM, {"token": token, "password": PASSWORD})
        assert_error(again, 400, "invalid_token")


def test_an_adult_in_care_may_be_invited_at_any_time(client_for, run_tasks, outbox):
    guardian = PatientFactory()
    dependent = dependent_of(guardian, years=80)
    assert invite(client_for, guardian, dependent).status_code == 202
    run_tasks()
    assert "Take over my profile" in outbox[0].alternatives[0][0]


def test_an_address_with_an_account_gets_a_notice_not_a_link(client_for, run_tasks, outbox):
    guardian = PatientFactory()
    dependent = dependent_of(guardian, years=40)
    UserFactory(email="taken@example.com")
    assert invite(client_for, guardian, dependent, "taken@example.com").status_code == 202
    run_tasks()
    (message,) = outbox
    assert "token=" not in message.body
    assert "already uses it" in message.body


def test_an_address_taken_before_the_claim_is_a_conflict(client_for, run_tasks, outbox):
    guardian = PatientFactory()
    dependent = dependent_of(guardian, years=40)
    invite(client_for, guardian, dependent, "late@example.com")
    run_tasks()
    token = invitation_token(outbox)
    UserFactory(email="late@example.com")
    response = client_for().post(CLAIM, {"token": token, "password": PASSWORD})
    assert_error(response, 409, "email_taken")
    dependent.refresh_from_db()
    assert dependent.is_dependent


def test_bad_claims_are_refused(client_for, run_tasks, outbox, settings):
    guardian = PatientFactory()
    dependent = dependent_of(guardian, years=40)
    invite(client_for, guardian, dependent)
    run_tasks()
    token = invitation_token(outbox)
    anonymous = client_for()
    assert_error(anonymous.post(CLAIM, {}), 400, "required", "token")
    assert_error(anonymous.post(CLAIM, {"token": token}), 400, "required", "password")
    assert_error(anonymous.post(CLAIM, {"token": "x", "password": PASSWORD}), 400, "invalid_token")
    assert_error(
        anonymous.post(CLAIM, {"token": token, "password": "123"}),
        400,
        "password_too_short",
        "password",
    )
    assert_error(anonymous.post(CLAIM, {"token": 5, "password": PASSWORD}), 400, "invalid", "token")
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.DEPENDENT_CLAIM_MAX_AGE_SECONDS + 5)
    ):
        assert_error(
            anonymous.post(CLAIM, {"token": token, "password": PASSWORD}), 400, "invalid_token"
        )
    dependent.refresh_from_db()
    assert dependent.is_dependent


def test_only_the_guardian_invites(client_for):
    guardian = PatientFactory()
    dependent = dependent_of(guardian, years=40)
    assert_error(invite(client_for, PatientFactory(), dependent), 404, "not_found")
    bad = client_for(guardian.user).post(
        f"{V1}/dependents/{dependent.pk}/claim-invitation/", {"email": "not-an-email"}
    )
    assert_error(bad, 400, "invalid", "email")

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.tokens import make_email_confirmation_token
from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CONFIRM_URL = "/api/v1/auth/email/confirm/"
RESEND_URL = "/api/v1/auth/email/resend/"


@pytest.fixture
def unconfirmed():
    return UserFactory(email="new@example.com", email_confirmed_at=None)


def test_login_is_refused_until_the_email_is_confirmed(api_client, unconfirmed):
    response = api_client.post(LOGIN_URL, {"email": "new@example.com", "password": PASSWORD})
    assert_error(response, 403, "email_not_confirmed")

    token = make_email_confirmation_token(unconfirmed)
    response = api_client.post(CONFIRM_URL, {"token": token})
    assert response.status_code == 200, response.content
    assert response.json()["email_confirmed"] is True

    response = api_client.post(LOGIN_URL, {"email": "new@example.com", "password": PASSWORD})
    assert response.status_code == 200


def test_wrong_password_does_not_reveal_confirmation_state(api_client, unconfirmed):
    response = api_client.post(LOGIN_URL, {"email": "new@example.com", "password": "wrong-one"})
    assert_error(response, 401, "invalid_credentials")


def test_confirmation_token_is_single_use(api_client, unconfirmed):
    token = make_email_confirmation_token(unconfirmed)
    assert api_client.post(CONFIRM_URL, {"token": token}).status_code == 200
    assert_error(api_client.post(CONFIRM_URL, {"token": token}), 400, "token_already_used")


def test_expired_confirmation_token_is_refused(api_client, unconfirmed):
    token = make_email_confirmation_token(unconfirmed)
    later = timezone.now() + timedelta(seconds=settings.EMAIL_CONFIRMATION_MAX_AGE + 5)
    with time_machine.travel(later):
        assert_error(api_client.post(CONFIRM_URL, {"token": token}), 400, "invalid_token")
    unconfirmed.refresh_from_db()
    assert unconfirmed.email_confirmed_at is None


def test_forged_token_is_refused(api_client, unconfirmed):
    token = make_email_confirmation_token(unconfirmed)
    assert_error(api_client.post(CONFIRM_URL, {"token": token[:-2] + "xx"}), 400, "invalid_token")
    assert_error(api_client.post(CONFIRM_URL, {"token": ""}), 400, "blank", attr="token")


def test_token_for_an_old_email_address_is_refused(api_client, unconfirmed):
    token = make_email_confirmation_token(unconfirmed)
    unconfirmed.email = "changed@example.com"
    unconfirmed.save()
    assert_error(api_client.post(CONFIRM_URL, {"token": token}), 400, "invalid_token")


def test_resend_sends_a_new_link_and_answers_the_same_for_unknown_emails(
    api_client, unconfirmed, outbox, run_tasks
):
    known = api_client.post(RESEND_URL, {"email": "NEW@example.com"})
    unknown = api_client.post(RESEND_URL, {"email": "nobody@example.com"})
    confirmed = api_client.post(RESEND_URL, {"email": UserFactory().email})
    assert run_tasks() == 3

    assert known.status_code == unknown.status_code == confirmed.status_code == 202
    assert known.json() == unknown.json() == confirmed.json()
    assert [message.to for message in outbox] == [["new@example.com"]]


def test_resend_is_throttled(api_client, unconfirmed):
    statuses = [
        api_client.post(RESEND_URL, {"email": "new@example.com"}).status_code for _ in range(5)
    ]
    assert statuses[:5] == [202] * 5
    assert_error(api_client.post(RESEND_URL, {"email": "new@example.com"}), 429, "throttled")

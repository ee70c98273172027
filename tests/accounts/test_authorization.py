"""Account endpoints x roles -> status. Most are public (registration, login, recovery) and
answer the same to everyone; the rest need a login."""

import pytest

from tests.authz import Endpoint, cases, check, expect
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

AUTH = "/api/v1/auth"


def everyone(status: int) -> dict[str, int]:
    return expect(status, anonymous=status)


def new_account(w) -> dict:
    import uuid

    return {
        "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
        "password": PASSWORD,
        "first_name": "New",
        "last_name": "Person",
        "date_of_birth": "1990-01-01",
        "license_number": f"LIC-{uuid.uuid4().hex[:10]}",
        "specialty": w.doctor.specialty.slug,
    }


ENDPOINTS = [
    Endpoint("healthz", "GET", lambda w: "/healthz", everyone(200)),
    Endpoint("readyz", "GET", lambda w: "/readyz", everyone(200)),
    Endpoint(
        "auth-register-patient",
        "POST",
        lambda w: f"{AUTH}/register/patient/",
        everyone(201),
        body=new_account,
    ),
    Endpoint(
        "auth-register-doctor",
        "POST",
        lambda w: f"{AUTH}/register/doctor/",
        everyone(201),
        body=new_account,
    ),
    Endpoint(
        "auth-email-confirm",
        "POST",
        lambda w: f"{AUTH}/email/confirm/",
        everyone(400),
        body=lambda w: {"token": "not-a-token"},
    ),
    Endpoint(
        "auth-email-resend",
        "POST",
        lambda w: f"{AUTH}/email/resend/",
        everyone(202),
        body=lambda w: {"email": w.patient.user.email},
    ),
    Endpoint(
        "auth-login",
        "POST",
        lambda w: f"{AUTH}/login/",
        everyone(200),
        body=lambda w: {"email": w.patient.user.email, "password": PASSWORD},
    ),
    Endpoint(
        "auth-login-mfa",
        "POST",
        lambda w: f"{AUTH}/login/mfa/",
        everyone(401),
        body=lambda w: {"challenge": "not-a-challenge", "code": "000000"},
    ),
    # Anyone logged in may enrol; without a login it takes a login's enrolment challenge.
    Endpoint(
        "auth-mfa-totp-start", "POST", lambda w: f"{AUTH}/mfa/totp/", expect(201), body=lambda w: {}
    ),
    Endpoint(
        "auth-mfa-totp-confirm",
        "POST",
        lambda w: f"{AUTH}/mfa/totp/confirm/",
        expect(400),
        body=lambda w: {"code": "000000"},
        # a wrong code is a failed login: the lockout records it
        refusal_writes=frozenset({"axes_accessattempt"}),
    ),
    Endpoint(
        "auth-token-refresh",
        "POST",
        lambda w: f"{AUTH}/token/refresh/",
        everyone(401),
        body=lambda w: {"refresh": "not.a.token"},
    ),
    # A logged-in caller sending a token that is not theirs: 401 token_not_valid.
    Endpoint(
        "auth-logout",
        "POST",
        lambda w: f"{AUTH}/logout/",
        expect(401),
        body=lambda w: {"refresh": "not.a.token"},
    ),
    Endpoint(
        "auth-password-reset",
        "POST",
        lambda w: f"{AUTH}/password/reset/",
        everyone(202),
        body=lambda w: {"email": w.patient.user.email},
    ),
    Endpoint(
        "auth-password-reset-confirm",
        "POST",
        lambda w: f"{AUTH}/password/reset/confirm/",
        everyone(400),
        body=lambda w: {"uid": "x", "token": "y", "new_password": PASSWORD},
    ),
    Endpoint(
        "auth-password-change",
        "POST",
        lambda w: f"{AUTH}/password/change/",
        expect(400),
        body=lambda w: {"current_password": "wrong", "new_password": PASSWORD},
        # a wrong current password is a failed login: the lockout records it
        refusal_writes=frozenset({"axes_accessattempt"}),
    ),
    Endpoint("auth-me", "GET", lambda w: f"{AUTH}/me/", expect(200)),
    Endpoint(
        "auth-me-update",
        "PATCH",
        lambda w: f"{AUTH}/me/",
        expect(200),
        body=lambda w: {"phone": "+49 30 1"},
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_account_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)

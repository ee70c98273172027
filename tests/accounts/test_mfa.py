"""Two-factor sign-in for staff, end to end through the API with real TOTP codes (pyotp):
enrolment, the login challenge, recovery codes, who must enrol, wrong codes counted by the
lockout and the backoff, and a platform admin's reset (docs/security.md, "Two-factor sign-in")."""

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import UntypedToken

from accounts.models import RecoveryCode, Role
from audit.models import AdminAction, AdminActionLog
from tests.errors import assert_error
from tests.factories import (
    LOGIN_URL,
    PASSWORD,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    UserFactory,
    clinic_admin_of,
    user_with_role,
)

pytestmark = pytest.mark.django_db

AUTH = "/api/v1/auth"
MFA_LOGIN_URL = f"{AUTH}/login/mfa/"
START_URL = f"{AUTH}/mfa/totp/"
CONFIRM_URL = f"{AUTH}/mfa/totp/confirm/"


def log_in(client, user, password=PASSWORD, ip="203.0.113.1"):
    return client.post(LOGIN_URL, {"email": user.email, "password": password}, REMOTE_ADDR=ip)


def amr(response) -> list[str]:
    return UntypedToken(response.json()["access"])["amr"]


def enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol an authenticator for the client's user (logged in): its TOTP and recovery codes."""
    started = client.post(START_URL, {}, format="json")
    assert started.status_code == 201, started.content
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = client.post(CONFIRM_URL, {"code": totp.now()}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    return totp, confirmed.json()["recovery_codes"]


@pytest.fixture
def doctor_user():
    return DoctorFactory().user


def test_a_user_without_a_second_factor_signs_in_with_the_password_alone(api_client, doctor_user):
    response = log_in(api_client, doctor_user)
    assert response.status_code == 200
    assert amr(response) == ["pwd"]


def test_enrolment_gives_a_uri_a_qr_code_and_ten_recovery_codes_stored_hashed(
    client_for, doctor_user
):
    client = client_for(doctor_user)
    started = client.post(START_URL, {}, format="json").json()
    assert started["provisioning_uri"].startswith("otpauth://totp/CareSlot")
    assert f"secret={started['secret']}" in started["provisioning_uri"]
    assert started["qr_code"].startswith("data:image/svg+xml")
    totp = pyotp.TOTP(started["secret"])

    wrong = client.post(CONFIRM_URL, {"code": "000000"}, format="json")
    assert_error(wrong, 400, "wrong_mfa_code", attr="code")

    codes = client.post(CONFIRM_URL, {"code": totp.now()}, format="json").json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}", code) for code in codes)
    stored = set(RecoveryCode.objects.filter(user=doctor_user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not stored & ({code for code in codes} | {c.replace("-", "") for c in codes})

    again = client.post(START_URL, {}, format="json")
    assert_error(again, 409, "mfa_already_enrolled")


def test_an_enrolled_login_needs_the_code_and_the_tokens_say_so(
    api_client, client_for, doctor_user
):
    totp, _ = enrol(client_for(doctor_user))

    first = log_in(api_client, doctor_user)
    assert first.status_code == 202
    body = first.json()
    assert body["code"] == "mfa_required"
    assert body["expires_in"] == settings.MFA_CHALLENGE_SECONDS
    assert "access" not in body

    wrong = api_client.post(MFA_LOGIN_URL, {"challenge": body["challenge"], "code": "123456"})
    assert_error(wrong, 401, "invalid_mfa_code")
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        code = totp.now()
        done = api_client.post(MFA_LOGIN_URL, {"challenge": body["challenge"], "code": code})
        assert done.status_code == 200, done.content
        assert amr(done) == ["pwd", "otp"]
        assert done.json()["user"]["email"] == doctor_user.email
        # the challenge and the code each sign in once
        replay = api_client.post(MFA_LOGIN_URL, {"challenge": body["challenge"], "code": code})
        assert_error(replay, 401, "mfa_challenge_invalid")
        second = log_in(api_client, doctor_user).json()["challenge"]
        reused = api_client.post(MFA_LOGIN_URL, {"challenge": second, "code": code})
        assert_error(reused, 401, "invalid_mfa_code")
        # the refreshed pair keeps the factors of the login
        refresh = {"refresh": done.json()["refresh"]}
        refreshed = api_client.post(f"{AUTH}/token/refresh/", refresh)
        assert refreshed.status_code == 200, refreshed.content
        assert amr(refreshed) == ["pwd", "otp"]


def test_the_challenge_expires(api_client, client_for, doctor_user):
    totp, _ = enrol(client_for(doctor_user))
    challenge = log_in(api_client, doctor_user).json()["challenge"]
    later = timezone.now() + timedelta(seconds=settings.MFA_CHALLENGE_SECONDS + 31)
    with time_machine.travel(later, tick=False):
        expired = api_client.post(MFA_LOGIN_URL, {"challenge": challenge, "code": totp.now()})
    assert_error(expired, 401, "mfa_challenge_invalid")


def test_a_recovery_code_signs_in_once(api_client, client_for, doctor_user):
    _, codes = enrol(client_for(doctor_user))
    challenge = log_in(api_client, doctor_user).json()["challenge"]
    done = api_client.post(MFA_LOGIN_URL, {"challenge": challenge, "code": codes[3].lower()})
    assert done.status_code == 200
    assert amr(done) == ["pwd", "otp"]
    challenge = log_in(api_client, doctor_user).json()["challenge"]
    again = api_client.post(MFA_LOGIN_URL, {"challenge": challenge, "code": codes[3]})
    assert_error(again, 401, "invalid_mfa_code")
    assert RecoveryCode.objects.filter(user=doctor_user, used_at__isnull=True).count() == 9


def test_wrong_codes_are_counted_by_the_lockout(api_client, client_for, doctor_user):
    totp, _ = enrol(client_for(doctor_user))
    challenge = log_in(api_client, doctor_user).json()["challenge"]
    body = {"challenge": challenge, "code": "000000"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        wrong = api_client.post(MFA_LOGIN_URL, body, REMOTE_ADDR="203.0.113.1")
        assert_error(wrong, 401, "invalid_mfa_code")
    right = {"challenge": challenge, "code": totp.now()}
    locked = api_client.post(MFA_LOGIN_URL, right, REMOTE_ADDR="203.0.113.1")
    assert_error(locked, 429, "account_locked")
    assert_error(log_in(api_client, doctor_user), 429, "account_locked")


def test_wrong_codes_from_many_networks_meet_the_backoff(api_client, client_for, doctor_user):
    totp, _ = enrol(client_for(doctor_user))
    challenge = log_in(api_client, doctor_user).json()["challenge"]
    for i in range(settings.LOGIN_BACKOFF_FREE_FAILURES):
        wrong = {"challenge": challenge, "code": "000000"}
        assert_error(
            api_client.post(MFA_LOGIN_URL, wrong, REMOTE_ADDR=f"198.51.100.{i}"),
            401,
            "invalid_mfa_code",
        )
    right = {"challenge": challenge, "code": totp.now()}
    waiting = api_client.post(MFA_LOGIN_URL, right, REMOTE_ADDR="192.0.2.1")
    assert_error(waiting, 429, "login_backoff")
    assert int(waiting["Retry-After"]) > 0


def test_the_mfa_login_is_throttled_per_network(api_client):
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["second_factor"]
    limit = int(rate.split("/")[0])
    for i in range(limit):
        response = api_client.post(
            MFA_LOGIN_URL, {"challenge": "x", "code": "1"}, REMOTE_ADDR=f"2001:db8::{i + 1}"
        )
        assert_error(response, 401, "mfa_challenge_invalid")
    refused = api_client.post(
        MFA_LOGIN_URL, {"challenge": "x", "code": "1"}, REMOTE_ADDR="2001:db8::ff"
    )
    assert_error(refused, 429, "throttled")


def test_a_role_that_must_enrol_enrols_from_the_login_challenge(api_client, settings):
    settings.MFA_REQUIRED_ROLES = frozenset({Role.PLATFORM_ADMIN})
    admin = user_with_role(Role.PLATFORM_ADMIN)

    first = log_in(api_client, admin)
    assert first.status_code == 202
    assert first.json()["code"] == "mfa_enrolment_required"
    challenge = first.json()["challenge"]
    # the challenge is good for enrolling only, not for a code
    assert_error(
        api_client.post(MFA_LOGIN_URL, {"challenge": challenge, "code": "000000"}),
        401,
        "mfa_challenge_invalid",
    )
    assert_error(api_client.post(START_URL, {}, format="json"), 401, "mfa_challenge_invalid")

    started = api_client.post(START_URL, {"challenge": challenge}, format="json")
    assert started.status_code == 201
    totp = pyotp.TOTP(started.json()["secret"])
    done = api_client.post(CONFIRM_URL, {"challenge": challenge, "code": totp.now()})
    assert done.status_code == 200, done.content
    assert len(done.json()["recovery_codes"]) == 10
    assert amr(done) == ["pwd", "otp"]
    assert log_in(api_client, admin).json()["code"] == "mfa_required"


def test_other_roles_need_not_enrol(api_client, settings, doctor_user):
    settings.MFA_REQUIRED_ROLES = frozenset({Role.PLATFORM_ADMIN})
    assert log_in(api_client, doctor_user).status_code == 200


def test_a_clinic_can_require_it_of_its_admins_and_doctors(api_client, client_for):
    clinic = ClinicFactory()
    admin = clinic_admin_of(clinic)
    association = AssociationFactory(clinic=clinic)
    outsider = DoctorFactory().user
    for user in (admin, association.doctor.user, outsider):
        assert log_in(api_client, user).status_code == 200

    changed = client_for(admin).patch(
        f"/api/v1/clinics/{clinic.pk}/", {"require_staff_mfa": True}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["require_staff_mfa"] is True
    for user in (admin, association.doctor.user):
        assert log_in(api_client, user).json()["code"] == "mfa_enrolment_required"
    assert log_in(api_client, outsider).status_code == 200


def test_a_platform_admin_resets_a_lost_device_and_the_audit_log_says_so(
    api_client, client_for, doctor_user
):
    enrol(client_for(doctor_user))
    admin = user_with_role(Role.PLATFORM_ADMIN)
    url = f"/api/v1/users/{doctor_user.pk}/mfa/reset/"

    assert_error(client_for(doctor_user).post(url, {"reason": "lost"}), 403, "permission_denied")
    response = client_for(admin).post(url, {"reason": "Phone lost, identity checked by call"})
    assert response.status_code == 200, response.content
    entry = AdminActionLog.objects.get(action=AdminAction.MFA_RESET)
    assert (entry.actor_id, entry.target_id) == (admin.pk, doctor_user.pk)
    assert entry.reason == "Phone lost, identity checked by call"
    assert not RecoveryCode.objects.filter(user=doctor_user).exists()
    assert log_in(api_client, doctor_user).status_code == 200

    again = client_for(admin).post(url, {"reason": "twice"})
    assert_error(again, 409, "mfa_not_enrolled")
    assert_error(client_for(admin).post(url, {}), 400, "required", attr="reason")


def test_an_unknown_user_for_the_reset_is_a_404(client_for):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    missing = UserFactory.build().pk
    response = client_for(admin).post(f"/api/v1/users/{missing}/mfa/reset/", {"reason": "x"})
    assert_error(response, 404, "not_found")


def test_a_platform_admin_cannot_reset_their_own_second_factor(client_for):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    client = client_for(admin)
    enrol(client)
    response = client.post(f"/api/v1/users/{admin.pk}/mfa/reset/", {"reason": "new phone"})
    assert_error(response, 409, "cannot_reset_own_mfa")
    assert RecoveryCode.objects.filter(user=admin).count() == 10

"""Account writes: accounts, confirmation, login, passwords, roles and token revocation."""

from datetime import UTC, datetime, timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from rest_framework.exceptions import (
    AuthenticationFailed,
    ErrorDetail,
    PermissionDenied,
    Throttled,
    ValidationError,
)
from rest_framework_simplejwt.exceptions import TokenError

from common import metrics
from common.errors import ConflictError, DomainError, field_error
from common.models import assign_fields

from . import backoff, mfa, signals, tasks
from .models import LoginEvent, TokenFamily, TokenFamilyEnd, User, UserRole, normalize_email
from .tokens import (
    FAMILY_CLAIM,
    SESSION_START_CLAIM,
    VersionedRefreshToken,
    read_email_confirmation_token,
    token_matches_user,
)


class InvalidToken(DomainError):
    default_code = "invalid_token"
    default_detail = "This link is invalid or has expired."


class EmailNotConfirmed(PermissionDenied):
    default_code = "email_not_confirmed"
    default_detail = "Confirm your email address before logging in."


class InvalidCredentials(AuthenticationFailed):
    default_code = "invalid_credentials"
    default_detail = "No active account matches this email and password."


class AccountLocked(Throttled):
    default_code = "account_locked"
    default_detail = "Too many failed logins for this email from your network. Try again later."


class LoginBackoff(Throttled):
    default_code = "login_backoff"
    default_detail = (
        "Too many failed logins for this account. Wait the time Retry-After gives, then try "
        "again (or reset the password)."
    )


# --- roles -------------------------------------------------------------------------------------


def grant_role(*, user: User, role: str, granted_by: User | None = None) -> UserRole:
    """Give `user` the role; granting a role they already hold is a no-op."""
    user_role, _ = UserRole.objects.get_or_create(
        user=user, role=role, defaults={"granted_by": granted_by}
    )
    user.__dict__.pop("_role_cache", None)
    return user_role


def revoke_role(*, user: User, role: str) -> None:
    UserRole.objects.filter(user=user, role=role).delete()
    user.__dict__.pop("_role_cache", None)


# --- accounts ----------------------------------------------------------------------------------


def create_user(
    *, email: str, password: str, first_name: str, last_name: str, phone: str
) -> User | None:
    """A new account with a validated (and hashed) password, or None when the email has an
    account already: the caller answers the same either way (no account enumeration)."""
    user = User(
        email=normalize_email(email), first_name=first_name, last_name=last_name, phone=phone
    )
    _validate_password(password=password, user=user, attr="password")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        return None
    return user


# --- email confirmation ------------------------------------------------------------------------


@transaction.atomic
def confirm_email(*, token: str) -> User:
    """Mark the email confirmed. A token works once, and only for the address it was sent to."""
    payload = read_email_confirmation_token(token)
    if payload is None:
        raise InvalidToken()
    user = User.objects.select_for_update().filter(pk=payload.get("uid")).first()
    if user is None or user.email != payload.get("email"):
        raise InvalidToken()
    if user.email_confirmed_at is not None:
        raise InvalidToken("This email address is already confirmed.", code="token_already_used")
    user.email_confirmed_at = timezone.now()
    user.save(update_fields=["email_confirmed_at"])
    return user


def resend_confirmation(*, email: str) -> None:
    """Queue a new link for this address. The worker decides whether an unconfirmed account
    has it: the request does the same work either way (no account enumeration by timing)."""
    tasks.resend_confirmation_email.enqueue(email=normalize_email(email))


# --- login and tokens --------------------------------------------------------------------------


def issue_tokens(*, user: User, amr: tuple[str, ...] = ("pwd",)) -> dict[str, str]:
    refresh = VersionedRefreshToken.for_user(user, amr=amr)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def log_in(*, email: str, password: str, request: HttpRequest) -> tuple[User, dict]:
    """Check the credentials and return the user with a fresh token pair, or, when the user
    needs a second factor (accounts.mfa), with a challenge instead: `{"code": "mfa_required" or
    "mfa_enrolment_required", "challenge": ..., "expires_in": ...}`.

    django-axes counts failed attempts per email and client network: once `AXES_FAILURE_LIMIT`
    is reached, every attempt, even with the right password, is refused until the cool-off ends.
    Failures of the account from anywhere make it wait before the next attempt is checked
    (accounts.backoff). `request` is the Django HttpRequest (not DRF's wrapper): axes marks the
    lockout on it.
    """
    user = _check_password(request=request, email=email, password=password)
    if user is None:
        metrics.LOGIN_FAILURES.labels("invalid_credentials").inc()
        raise InvalidCredentials()
    if not user.is_email_confirmed:
        raise EmailNotConfirmed()
    purpose = mfa.login_purpose(user)
    if purpose is not None:
        return user, {
            "code": purpose,
            "detail": MFA_DETAILS[purpose],
            "challenge": mfa.make_challenge(user, purpose),
            "expires_in": settings.MFA_CHALLENGE_SECONDS,
        }
    return user, _finish_login(user=user, request=request, amr=("pwd",))


MFA_DETAILS = {
    mfa.Purpose.VERIFY: "Send the code of your authenticator app (or a recovery code) with "
    "this challenge to POST /auth/login/mfa/.",
    mfa.Purpose.ENROL: "Your role requires two-factor sign-in: enrol an authenticator app with "
    "this challenge (POST /auth/mfa/totp/, then POST /auth/mfa/totp/confirm/).",
}


def _finish_login(*, user: User, request: HttpRequest, amr: tuple[str, ...]) -> dict[str, str]:
    # The signal Django's own login() sends: sets last_login and clears this client's failures.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    backoff.clear(user.email)
    LoginEvent.objects.create(user=user)
    return issue_tokens(user=user, amr=amr)


class InvalidChallenge(AuthenticationFailed):
    default_code = "mfa_challenge_invalid"
    default_detail = "This sign-in challenge is invalid, used or expired; log in again."


class InvalidMfaCode(AuthenticationFailed):
    default_code = "invalid_mfa_code"
    default_detail = "The code is wrong or was already used."


def _guard_code_attempt(*, user: User, request: HttpRequest) -> None:
    """Refuse a second-factor attempt while the account waits or is locked out from here."""
    wait = backoff.wait_seconds(user.email)
    if wait:
        metrics.LOGIN_FAILURES.labels("backoff").inc()
        raise LoginBackoff(wait=wait)
    credentials = {"email": user.email}
    if settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, credentials=credentials):
        metrics.LOGIN_FAILURES.labels("locked_out").inc()
        raise AccountLocked(wait=settings.AXES_COOLOFF_TIME.total_seconds())


def _count_wrong_code(*, user: User, request: HttpRequest) -> None:
    """A wrong second-factor code counts as a failed login: lockout and backoff."""
    metrics.LOGIN_FAILURES.labels("invalid_mfa_code").inc()
    backoff.record_failure(user.email)
    user_login_failed.send(sender=__name__, credentials={"email": user.email}, request=request)


def complete_mfa_login(*, challenge: str, code: str, request: HttpRequest) -> tuple[User, dict]:
    """Trade a login's `mfa_required` challenge and a TOTP or recovery code for tokens whose
    `amr` says both factors were used."""
    found = mfa.read_challenge(challenge, purposes=(mfa.Purpose.VERIFY,))
    if found is None:
        raise InvalidChallenge()
    user, payload = found
    _guard_code_attempt(user=user, request=request)
    if not mfa.verify_code(user, code):
        _count_wrong_code(user=user, request=request)
        raise InvalidMfaCode()
    mfa.spend_challenge(payload)
    return user, _finish_login(user=user, request=request, amr=("pwd", "otp"))


class MfaAlreadyEnrolled(ConflictError):
    default_code = "mfa_already_enrolled"
    default_detail = (
        "Two-factor sign-in is already set up. Use your recovery codes, or ask a platform "
        "admin to reset it, to enrol another device."
    )


def enrolling_user(*, user: User | None, challenge: str | None) -> tuple[User, dict | None]:
    """Who is enrolling: the logged-in user, or the one an `mfa_enrolment_required` challenge
    was made for (with its payload)."""
    if user is not None and user.is_authenticated:
        return user, None
    found = mfa.read_challenge(challenge or "", purposes=(mfa.Purpose.ENROL,))
    if found is None:
        raise InvalidChallenge()
    return found


def start_mfa_enrolment(*, user: User) -> dict[str, str]:
    """A new TOTP device to add to an authenticator app, confirmed by its first code."""
    if mfa.confirmed_device(user) is not None:
        raise MfaAlreadyEnrolled()
    return mfa.provisioning(mfa.start_enrolment(user))


def confirm_mfa_enrolment(
    *, user: User, code: str, request: HttpRequest, challenge_payload: dict | None
) -> dict:
    """Confirm the pending device; returns the ten recovery codes (shown this once), and, when
    enrolling from a login's challenge, the tokens that login was waiting for."""
    if mfa.confirmed_device(user) is not None:
        raise MfaAlreadyEnrolled()
    _guard_code_attempt(user=user, request=request)
    codes = mfa.confirm_enrolment(user, code)
    if codes is None:
        _count_wrong_code(user=user, request=request)
        raise field_error(
            "code", "The code is wrong, or no enrolment was started.", code="wrong_mfa_code"
        )
    result: dict = {"recovery_codes": codes}
    if challenge_payload is not None:
        mfa.spend_challenge(challenge_payload)
        result.update(_finish_login(user=user, request=request, amr=("pwd", "otp")))
    return result


def _check_password(*, request: HttpRequest, email: str, password: str) -> User | None:
    """The user these credentials belong to, or None (the failure counted by the lockout and the
    backoff); raises `LoginBackoff` or `AccountLocked` when the attempt may not be checked."""
    wait = backoff.wait_seconds(email)
    if wait:
        metrics.LOGIN_FAILURES.labels("backoff").inc()
        raise LoginBackoff(wait=wait)
    user = authenticate(request, email=email, password=password)
    if getattr(request, "axes_locked_out", False):
        metrics.LOGIN_FAILURES.labels("locked_out").inc()
        # The failure just recorded restarted the cool-off, so the wait is the whole of it.
        raise AccountLocked(wait=settings.AXES_COOLOFF_TIME.total_seconds())
    if user is None:
        backoff.record_failure(email)
    return user


class InvalidRefreshToken(AuthenticationFailed):
    default_code = "token_not_valid"
    default_detail = "The refresh token is invalid, expired or revoked."


class SessionExpired(AuthenticationFailed):
    default_code = "session_expired"
    default_detail = "This session has reached its maximum age; log in again."


class RefreshTokenReused(AuthenticationFailed):
    default_code = "refresh_token_reused"
    default_detail = (
        "This refresh token was already used. Its session has ended for safety; log in again."
    )


def _read_refresh_token(raw: str) -> tuple[VersionedRefreshToken, User]:
    try:
        token = VersionedRefreshToken(raw)
    except TokenError as exc:
        raise InvalidRefreshToken() from exc
    user = User.objects.filter(pk=token.get("user_id"), is_active=True).first()
    if user is None or not token_matches_user(token, user) or FAMILY_CLAIM not in token:
        raise InvalidRefreshToken()
    return token, user


def rotate_refresh_token(*, raw: str) -> dict[str, str]:
    """Trade the family's current refresh token for a new pair.

    One conditional UPDATE moves the family to the new token, so of any number of concurrent
    requests with one token exactly one wins. Any other token of the family (one already
    rotated, or the loser of such a race) is a reuse: a thief and the owner hold the same
    token, and nobody can tell which is which, so the whole family ends (RFC 9700 §4.14.2)."""
    token, user = _read_refresh_token(raw)
    family_id, used_jti = token[FAMILY_CLAIM], token["jti"]
    now = timezone.now()
    token.set_jti()
    token.set_exp(from_time=now, lifetime=_refresh_lifetime(token, now))
    token.set_iat(at_time=now)
    won = TokenFamily.objects.filter(
        pk=family_id,
        user=user,
        current_jti=used_jti,
        ended_at__isnull=True,
        created_at__gt=now - settings.SESSION_MAX_AGE,
    ).update(current_jti=token["jti"], rotated_at=now)
    if won:
        return {"refresh": str(token), "access": str(token.access_token)}
    family = TokenFamily.objects.filter(pk=family_id, user=user).first()
    if family is None or family.current_jti == used_jti:  # the session ended some other way
        if family is not None and family.ended_at is None:  # it is too old to go on
            _end_families(TokenFamily.objects.filter(pk=family.pk), reason=TokenFamilyEnd.EXPIRED)
            raise SessionExpired()
        raise InvalidRefreshToken()
    # A family's current jti only ever moves on to fresh ones, so this token stays a reuse.
    _end_families(TokenFamily.objects.filter(pk=family.pk), reason=TokenFamilyEnd.REUSE)
    raise RefreshTokenReused()


def _refresh_lifetime(token, now) -> timedelta:
    """A refresh token's own lifetime, cut to what is left of its session's maximum age."""
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    started = token.get(SESSION_START_CLAIM)
    if started is None:  # issued before sessions had a maximum age: the family row decides
        return lifetime
    left = datetime.fromtimestamp(started, tz=UTC) + settings.SESSION_MAX_AGE - now
    return max(min(lifetime, left), timedelta(0))


def _end_families(families, *, reason: str) -> int:
    return families.filter(ended_at__isnull=True).update(ended_at=timezone.now(), end_reason=reason)


def log_out(*, user: User, raw_refresh: str) -> None:
    """End the session the refresh token belongs to: its refresh and access tokens stop working."""
    token, owner = _read_refresh_token(raw_refresh)
    if owner.pk != user.pk:
        raise InvalidRefreshToken()
    families = TokenFamily.objects.filter(pk=token[FAMILY_CLAIM], user=user)
    _end_families(families, reason=TokenFamilyEnd.LOGOUT)


@transaction.atomic
def revoke_all_tokens(*, user: User) -> None:
    """Invalidate every access and refresh token `user` holds, and every other credential of
    theirs the apps above keep (signals.sessions_revoked)."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    _end_families(TokenFamily.objects.filter(user=user), reason=TokenFamilyEnd.REVOKED)
    signals.sessions_revoked.send(sender=User, user=user)


# --- passwords ---------------------------------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """Queue a reset link for this address; as for `resend_confirmation`, the worker decides
    whether an active account has it, and the caller learns nothing."""
    tasks.send_password_reset_email.enqueue(email=normalize_email(email))


@transaction.atomic
def confirm_password_reset(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link stops working once used."""
    try:
        user = User.objects.select_for_update().get(pk=force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist, DjangoValidationError):
        raise InvalidToken() from None
    if not user.is_active or not default_token_generator.check_token(user, token):
        raise InvalidToken()
    _set_password(user=user, password=new_password)
    backoff.clear(user.email)
    return user


def change_password(
    *, user: User, current_password: str, new_password: str, request: HttpRequest
) -> dict[str, str]:
    """Change the password, revoke every other session, and return a fresh token pair.

    A wrong current password counts as a failed login (lockout and backoff), so a stolen
    access token cannot be used to guess the password at the change endpoint's pace."""
    checked = _check_password(request=request, email=user.email, password=current_password)
    if checked is None or checked.pk != user.pk:
        metrics.LOGIN_FAILURES.labels("wrong_current_password").inc()
        raise field_error(
            "current_password", "The current password is wrong.", code="wrong_password"
        )
    with transaction.atomic():
        _set_password(user=user, password=new_password)
        return issue_tokens(user=user)


def _set_password(*, user: User, password: str) -> None:
    _validate_password(password=password, user=user, attr="new_password")
    user.set_password(password)
    user.save(update_fields=["password"])
    revoke_all_tokens(user=user)


def _validate_password(*, password: str, user: User, attr: str) -> None:
    """Django's password validators, reported as field errors with the validators' codes."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        details = [ErrorDetail(error.messages[0], code=error.code) for error in exc.error_list]
        raise ValidationError({attr: details}) from exc


# --- profile -----------------------------------------------------------------------------------


ACCOUNT_FIELDS = ("first_name", "last_name", "phone")


def update_account(*, user: User, **fields) -> User:
    """Update a user's name and phone; other keys in `fields` are ignored."""
    user.save(update_fields=assign_fields(user, fields, ACCOUNT_FIELDS))
    return user

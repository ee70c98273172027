"""Account writes: registration, confirmation, login, passwords, roles and token revocation."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
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
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from common.errors import DomainError, field_error
from common.models import assign_fields
from doctors.models import Doctor, DoctorLanguage, Specialty
from patients.models import Patient

from . import tasks
from .models import LoginEvent, Role, User, UserRole, normalize_email
from .tokens import (
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


# --- registration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """What a registration answers. The same whether or not the email already had an account:
    the caller must not learn which (the owner of an existing account is emailed instead)."""

    email: str
    roles: list[str]


def _create_user(
    *, email: str, password: str, first_name: str, last_name: str, phone: str
) -> User | None:
    """The new user (password validated and hashed), or None when the email has an account."""
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


def _registered(*, email: str, user: User | None, role: str) -> Registration:
    tasks.send_registration_email.enqueue(
        email=normalize_email(email), user_id=None if user is None else str(user.pk)
    )
    return Registration(email=normalize_email(email), roles=[role])


@transaction.atomic
def register_patient(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    phone: str = "",
    gender: str = "undisclosed",
    address: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
) -> Registration:
    """Create a patient account and profile, and queue the confirmation link. An email that
    has an account already creates nothing and queues a notice to its owner instead."""
    user = _create_user(
        email=email, password=password, first_name=first_name, last_name=last_name, phone=phone
    )
    if user is None:
        return _registered(email=email, user=None, role=Role.PATIENT)
    Patient.objects.create(
        user=user,
        date_of_birth=date_of_birth,
        gender=gender,
        address=address,
        emergency_contact_name=emergency_contact_name,
        emergency_contact_phone=emergency_contact_phone,
    )
    grant_role(user=user, role=Role.PATIENT)
    return _registered(email=email, user=user, role=Role.PATIENT)


@transaction.atomic
def register_doctor(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    license_number: str,
    specialty: Specialty,
    phone: str = "",
    bio: str = "",
    languages: list[str] | None = None,
    consultation_fee=0,
) -> Registration:
    """Create an unconfirmed doctor account; a platform admin confirms it later. An email
    that has an account already is handled as for patients."""
    user = _create_user(
        email=email, password=password, first_name=first_name, last_name=last_name, phone=phone
    )
    if user is None:
        return _registered(email=email, user=None, role=Role.DOCTOR)
    try:
        with transaction.atomic():
            doctor = Doctor.objects.create(
                user=user,
                specialty=specialty,
                license_number=license_number,
                bio=bio,
                consultation_fee=consultation_fee,
            )
    except IntegrityError as exc:
        raise field_error(
            "license_number", "A doctor with this license number exists.", code="license_taken"
        ) from exc
    DoctorLanguage.objects.bulk_create(
        DoctorLanguage(doctor=doctor, language=code) for code in set(languages or [])
    )
    grant_role(user=user, role=Role.DOCTOR)
    return _registered(email=email, user=user, role=Role.DOCTOR)


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


def issue_tokens(*, user: User) -> dict[str, str]:
    refresh = VersionedRefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def log_in(*, email: str, password: str, request: HttpRequest) -> tuple[User, dict[str, str]]:
    """Check the credentials and return the user with a fresh token pair.

    django-axes counts failed attempts per email and client IP: once `AXES_FAILURE_LIMIT` is
    reached, every attempt, even with the right password, is refused until the cool-off ends.
    `request` is the Django HttpRequest (not DRF's wrapper): axes marks the lockout on it.
    """
    user = authenticate(request, email=email, password=password)
    if getattr(request, "axes_locked_out", False):
        # The failure just recorded restarted the cool-off, so the wait is the whole of it.
        raise AccountLocked(wait=settings.AXES_COOLOFF_TIME.total_seconds())
    if user is None:
        raise InvalidCredentials()
    if not user.is_email_confirmed:
        raise EmailNotConfirmed()
    # The signal Django's own login() sends: sets last_login and clears this client's failures.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    LoginEvent.objects.create(user=user)
    return user, issue_tokens(user=user)


class InvalidRefreshToken(AuthenticationFailed):
    default_code = "token_not_valid"
    default_detail = "The refresh token is invalid, expired or revoked."


def _read_refresh_token(raw: str) -> tuple[VersionedRefreshToken, User]:
    try:
        token = VersionedRefreshToken(raw)
    except TokenError as exc:
        raise InvalidRefreshToken() from exc
    user = User.objects.filter(pk=token.get("user_id"), is_active=True).first()
    if user is None or not token_matches_user(token, user):
        raise InvalidRefreshToken()
    return token, user


@transaction.atomic
def rotate_refresh_token(*, raw: str) -> dict[str, str]:
    """Trade a refresh token for a new pair; the old refresh token is blacklisted."""
    token, _ = _read_refresh_token(raw)
    token.blacklist()
    token.set_jti()
    token.set_exp()
    token.set_iat()
    token.outstand()
    return {"refresh": str(token), "access": str(token.access_token)}


def log_out(*, user: User, raw_refresh: str) -> None:
    """Blacklist the caller's refresh token; the short-lived access token simply expires."""
    token, owner = _read_refresh_token(raw_refresh)
    if owner.pk != user.pk:
        raise InvalidRefreshToken()
    token.blacklist()


@transaction.atomic
def revoke_all_tokens(*, user: User) -> None:
    """Invalidate every access and refresh token `user` holds."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


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
    return user


@transaction.atomic
def change_password(*, user: User, current_password: str, new_password: str) -> dict[str, str]:
    """Change the password, revoke every other session, and return a fresh token pair."""
    if not user.check_password(current_password):
        raise field_error(
            "current_password", "The current password is wrong.", code="wrong_password"
        )
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

import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task
from rest_framework.exceptions import ErrorDetail, ValidationError

from accounts.models import Role, User, normalize_email
from accounts.services import InvalidToken, grant_role, update_account
from common.errors import ConflictError, field_error
from common.models import assign_fields

from . import tasks
from .models import (
    Guardianship,
    GuardianshipEnd,
    Patient,
    ProxyGrant,
    ProxyGrantStatus,
    grant_status,
)
from .permissions import grant_proxy_permissions, revoke_proxy_permissions
from .tokens import read_claim_token, read_proxy_invitation_token

PROFILE_FIELDS = (
    "date_of_birth",
    "gender",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
)
# A dependent's user row: unique, never routable (RFC 2606 `.invalid`), never a login.
DEPENDENT_EMAIL_DOMAIN = "dependents.careslot.invalid"


class DependentLimitReached(ConflictError):
    default_code = "dependent_limit_reached"
    default_detail = "You already have the most dependents allowed."


class DependentNotAllowed(ConflictError):
    default_code = "dependent_not_allowed"
    default_detail = "A dependent cannot have dependents of their own."


@transaction.atomic
def update_patient_profile(*, patient: Patient, **fields) -> Patient:
    """Update a patient's profile and the name/phone on their account, together."""
    update_account(user=patient.user, **fields)
    changed = assign_fields(patient, fields, PROFILE_FIELDS)
    if changed:
        patient.save(update_fields=[*changed, "updated_at"])
    return patient


def coming_of_age(date_of_birth: date) -> date:
    """The day someone born on `date_of_birth` reaches AGE_OF_MAJORITY (29 February: 1 March)."""
    year = date_of_birth.year + settings.AGE_OF_MAJORITY
    try:
        return date_of_birth.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def _access_ends_on(date_of_birth: date) -> date | None:
    """A minor's guardian acts for them until they come of age; an adult in care has no end."""
    majority = coming_of_age(date_of_birth)
    return majority if majority > timezone.localdate() else None


@transaction.atomic
def add_dependent(
    *,
    guardian: Patient,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    relationship: str,
    gender: str | None = None,
) -> Guardianship:
    """A profile without an account, acted for by `guardian` (docs/families.md)."""
    # The guardian's row lock serializes their additions, so the limit holds under races.
    guardian = Patient.objects.select_for_update(no_key=True).get(pk=guardian.pk)
    if guardian.is_dependent:
        raise DependentNotAllowed()
    live = Guardianship.objects.filter(guardian=guardian, ended_at__isnull=True).count()
    if live >= settings.MAX_DEPENDENTS_PER_PATIENT:
        raise DependentLimitReached(
            f"You already have {live} dependents, the most allowed "
            f"({settings.MAX_DEPENDENTS_PER_PATIENT})."
        )
    user = User(
        email=f"dependent-{uuid.uuid4().hex}@{DEPENDENT_EMAIL_DOMAIN}",
        first_name=first_name,
        last_name=last_name,
    )
    user.set_unusable_password()
    user.save()
    profile = {"gender": gender} if gender else {}
    dependent = Patient.objects.create(
        user=user, date_of_birth=date_of_birth, is_dependent=True, **profile
    )
    return Guardianship.objects.create(
        guardian=guardian,
        dependent=dependent,
        relationship=relationship,
        access_ends_on=_access_ends_on(date_of_birth),
    )


@transaction.atomic
def update_dependent(*, guardianship: Guardianship, **fields) -> Guardianship:
    """Names, birth date, gender and relationship. A corrected birth date moves the coming of
    age, and with it the end of the guardian's access."""
    dependent = guardianship.dependent
    update_account(user=dependent.user, **fields)
    changed = assign_fields(dependent, fields, ("date_of_birth", "gender"))
    if changed:
        dependent.save(update_fields=[*changed, "updated_at"])
    kept = assign_fields(guardianship, fields, ("relationship",))
    if "date_of_birth" in fields:
        guardianship.access_ends_on = _access_ends_on(fields["date_of_birth"])
        kept.append("access_ends_on")
    if kept:
        guardianship.save(update_fields=kept)
    return guardianship


# --- claiming a dependent's profile -------------------------------------------------------------


class DependentNotOfAge(ConflictError):
    default_code = "dependent_not_of_age"
    default_detail = "The dependent can claim their profile once they come of age."


class EmailTaken(ConflictError):
    default_code = "email_taken"
    default_detail = "An account has this email address already: ask for an invitation to another."


def is_of_age(patient: Patient) -> bool:
    return coming_of_age(patient.date_of_birth) <= timezone.localdate()


@transaction.atomic
def invite_to_claim(*, guardianship: Guardianship, email: str) -> None:
    """Mail the dependent, at `email`, a link to claim their profile with an account of their
    own: once they are of age (an adult in care at any time). The worker writes the link."""
    if not is_of_age(guardianship.dependent):
        raise DependentNotOfAge()
    tasks.send_claim_invitation.enqueue(
        guardianship_id=str(guardianship.pk), email=normalize_email(email)
    )


@transaction.atomic
def claim_dependent(*, token: str, password: str) -> Patient:
    """The young adult (or the adult in care) takes over their profile: its user row becomes
    their account (the invited address, confirmed by the link; their password; the patient
    role), and every guardian's access ends. A link works once."""
    payload = read_claim_token(token)
    if payload is None:
        raise InvalidToken()
    patient = (
        Patient.objects.select_for_update()
        .select_related("user")
        .filter(pk=payload.get("dependent"), is_dependent=True)
        .first()
    )
    if patient is None or not is_of_age(patient):
        raise InvalidToken()
    email = payload.get("email", "")
    if User.objects.filter(email=email).exists():
        raise EmailTaken()
    user = patient.user
    user.email = email
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        details = [ErrorDetail(error.messages[0], code=error.code) for error in exc.error_list]
        raise ValidationError({"password": details}) from exc
    user.set_password(password)
    user.email_confirmed_at = timezone.now()
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "password", "email_confirmed_at"])
    except IntegrityError:
        raise EmailTaken() from None
    grant_role(user=user, role=Role.PATIENT)
    patient.is_dependent = False
    patient.save(update_fields=["is_dependent", "updated_at"])
    Guardianship.objects.filter(dependent=patient, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=GuardianshipEnd.CLAIMED
    )
    return patient


# --- proxy access between accounts --------------------------------------------------------------


class ProxyGrantEnded(ConflictError):
    default_code = "proxy_grant_ended"
    default_detail = "This proxy grant was revoked or has expired already."


@transaction.atomic
def invite_proxy(*, patient: Patient, email: str, scope: str, expires_at: datetime) -> ProxyGrant:
    """Invite the account at `email` to act for `patient` until `expires_at`: booking, or
    booking and reading the history. Nothing is granted until that account accepts, so the
    answer and the work are the same whether the address has an account or not (the worker
    mails an accept link, or how to sign up first). A new invitation to the same address
    replaces the pending one."""
    patient = (
        Patient.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .get(pk=patient.pk)
    )
    email = normalize_email(email)
    if email == normalize_email(patient.user.email):
        raise field_error("grantee_email", "You act for yourself already.", code="invalid")
    for earlier in ProxyGrant.objects.select_for_update().filter(
        patient=patient, invited_email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        _end_proxy_grant(earlier, by=patient.user)
    now = timezone.now()
    invitation_ends = now + timedelta(seconds=settings.PROXY_INVITATION_MAX_AGE_SECONDS)
    grant = ProxyGrant.objects.create(
        patient=patient,
        invited_email=email,
        invitation_expires_at=min(invitation_ends, expires_at),
        scope=scope,
        created_at=now,
        expires_at=expires_at,
    )
    tasks.send_proxy_invitation.enqueue(grant_id=str(grant.pk))
    expire_proxy_grant.using(run_after=expires_at).enqueue(grant_id=str(grant.pk))
    return grant


@transaction.atomic
def accept_proxy_invitation(*, token: str, user: User) -> ProxyGrant:
    """The invited account takes the grant up: it goes live and its permissions are written;
    both sides are mailed. A link works once, before the invitation's end, and only for the
    account with the invited address: any other case is the same `invalid_token`."""
    payload = read_proxy_invitation_token(token)
    if payload is None:
        raise InvalidToken()
    grant = (
        ProxyGrant.objects.select_for_update(of=("self",))
        .select_related("patient__user")
        .filter(pk=payload.get("grant"))
        .first()
    )
    now = timezone.now()
    if (
        grant is None
        or grant.invited_email != payload.get("email")
        or grant.invited_email != normalize_email(user.email)
        or grant.patient.user_id == user.pk
        or grant.accepted_at is not None
        or grant.revoked_at is not None
        or grant.invitation_expires_at <= now
        or grant.expires_at <= now
    ):
        raise InvalidToken()
    return _accept(grant, user=user, now=now)


def _accept(grant: ProxyGrant, *, user: User, now: datetime) -> ProxyGrant:
    for earlier in ProxyGrant.objects.select_for_update().filter(
        patient_id=grant.patient_id, grantee=user, revoked_at__isnull=True
    ):
        _end_proxy_grant(earlier, by=grant.patient.user)
    grant.grantee = user
    grant.accepted_at = now
    grant.save(update_fields=["grantee", "accepted_at"])
    grant_proxy_permissions(grant=grant)
    tasks.send_proxy_notice.enqueue(grant_id=str(grant.pk), event="granted")
    return grant


@transaction.atomic
def grant_proxy_access(
    *, patient: Patient, grantee: User, scope: str, expires_at: datetime
) -> ProxyGrant:
    """An invitation to `grantee`'s address, accepted by them at once (for setting a grant up
    outside the API, as the platform's admins and the fixtures do)."""
    if grantee.pk == patient.user_id:
        raise field_error("grantee_email", "You act for yourself already.", code="invalid")
    grant = invite_proxy(patient=patient, email=grantee.email, scope=scope, expires_at=expires_at)
    return _accept(grant, user=grantee, now=timezone.now())


@transaction.atomic
def revoke_proxy_access(*, grant: ProxyGrant, by: User) -> ProxyGrant:
    """The patient withdraws the grant or the pending invitation, or the grantee gives it up;
    both are mailed (only the patient while nobody accepted)."""
    grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
    if grant_status(grant) not in (ProxyGrantStatus.INVITED, ProxyGrantStatus.ACTIVE):
        raise ProxyGrantEnded()
    _end_proxy_grant(grant, by=by)
    tasks.send_proxy_notice.enqueue(grant_id=str(grant.pk), event="revoked")
    return grant


def _end_proxy_grant(grant: ProxyGrant, *, by: User) -> None:
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    revoke_proxy_permissions(grant=grant)


@transaction.atomic
def remove_expired_proxy_permissions(*, grant_id) -> bool:
    """At its expiry, the grant's permissions go (its expiry already refused every use)."""
    grant = ProxyGrant.objects.select_for_update().filter(pk=grant_id).first()
    if grant is None or grant.revoked_at is not None or grant.expires_at > timezone.now():
        return False
    revoke_proxy_permissions(grant=grant)
    return True


# Declared here, not in tasks.py: granting enqueues it and it runs this module's rule, so
# tasks.py importing services would make a cycle (docs/architecture.md, the sibling rule).
@task
def expire_proxy_grant(grant_id: str) -> bool:
    return remove_expired_proxy_permissions(grant_id=grant_id)

import uuid
from datetime import date, datetime

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
from .models import Guardianship, GuardianshipEnd, Patient, ProxyGrant
from .permissions import grant_proxy_permissions, revoke_proxy_permissions
from .tokens import read_claim_token

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
def grant_proxy_access(
    *, patient: Patient, grantee: User, scope: str, expires_at: datetime
) -> ProxyGrant:
    """Let `grantee` (another patient account) act for `patient` until `expires_at`: booking,
    or booking and reading the history. A new grant to the same account replaces the open one.
    Both are mailed; the permissions go at `expires_at` by a task, and the grant's own expiry
    is checked on every use."""
    patient = Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    if grantee.pk == patient.user_id:
        raise field_error("grantee_email", "You act for yourself already.", code="invalid")
    for earlier in ProxyGrant.objects.select_for_update().filter(
        patient=patient, grantee=grantee, revoked_at__isnull=True
    ):
        _end_proxy_grant(earlier, by=patient.user)
    grant = ProxyGrant.objects.create(
        patient=patient, grantee=grantee, scope=scope, expires_at=expires_at
    )
    grant_proxy_permissions(grant=grant)
    tasks.send_proxy_notice.enqueue(grant_id=str(grant.pk), event="granted")
    expire_proxy_grant.using(run_after=expires_at).enqueue(grant_id=str(grant.pk))
    return grant


@transaction.atomic
def revoke_proxy_access(*, grant: ProxyGrant, by: User) -> ProxyGrant:
    """The patient withdraws the grant, or the grantee gives it up; both are mailed."""
    grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None or grant.expires_at <= timezone.now():
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

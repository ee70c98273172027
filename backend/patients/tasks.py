"""Families' work, run by the worker: the invitation to claim a dependent's profile, a proxy
grant's invitation and notices, and a proxy grant's expiry."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django_tasks import TaskContext, task

from accounts.models import Role, User
from common.emails import deliver_email, task_message_key

from .models import Guardianship, ProxyGrant
from .tokens import make_claim_token, make_proxy_invitation_token


@task(takes_context=True)
def send_claim_invitation(context: TaskContext, guardianship_id: str, email: str) -> bool:
    """The claim link to `email`, or, when an account has that address already, a notice
    that it cannot be used (the guardian's request answered the same either way)."""
    guardianship = (
        Guardianship.objects.select_related("dependent__user", "guardian__user")
        .filter(pk=guardianship_id, ended_at__isnull=True, dependent__is_dependent=True)
        .first()
    )
    if guardianship is None:
        return False
    context_ = {"dependent": guardianship.dependent, "guardian": guardianship.guardian}
    if User.objects.filter(email=email).exists():
        return deliver_email(
            key=task_message_key(context),
            to=email,
            subject="Your CareSlot profile could not be handed over to this address",
            template="patients/email/claim_address_taken",
            context=context_,
        )
    token = make_claim_token(dependent_id=str(guardianship.dependent_id), email=email)
    return deliver_email(
        key=task_message_key(context),
        to=email,
        subject="Your CareSlot profile is ready for you",
        template="patients/email/claim_invitation",
        context=context_
        | {
            "token": token,
            "url": f"{settings.FRONTEND_URL}/claim-profile?token={token}",
            "days": settings.DEPENDENT_CLAIM_MAX_AGE_SECONDS // 86400,
        },
    )


@task(takes_context=True)
def send_proxy_notice(context: TaskContext, grant_id: str, event: str) -> int:
    """Tell both sides a proxy grant was made or ended (`event`: granted, revoked)."""
    grant = ProxyGrant.objects.select_related("patient__user", "grantee").get(pk=grant_id)
    mail = _grant_mail(grant) | {"grantee": grant.grantee}
    sides = [("patient", grant.patient.user)]
    if grant.grantee is not None:
        sides.append(("grantee", grant.grantee))
    sent = 0
    for side, recipient in sides:
        sent += deliver_email(
            key=task_message_key(context, f":{side}"),
            to=recipient.email,
            subject=(
                "CareSlot: proxy access granted"
                if event == "granted"
                else "CareSlot: proxy access ended"
            ),
            template=f"patients/email/proxy_{event}",
            context=mail | {"recipient": recipient, "side": side},
        )
    return sent


def _grant_mail(grant: ProxyGrant) -> dict:
    zone = ZoneInfo(settings.TIME_ZONE)
    return {
        "grant": grant,
        "patient": grant.patient.user,
        "until": f"{grant.expires_at.astimezone(zone):%d %B %Y, %H:%M} ({settings.TIME_ZONE})",
        "scope": grant.get_scope_display().lower(),
    }


@task(takes_context=True)
def send_proxy_invitation(context: TaskContext, grant_id: str) -> bool:
    """The accept link to the invited address; when no patient account has that address, the
    same link with how to sign up first (the patient's request answered the same either way,
    and a mail goes either way)."""
    grant = (
        ProxyGrant.objects.select_related("patient__user")
        .filter(pk=grant_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        return False
    token = make_proxy_invitation_token(grant_id=str(grant.pk), email=grant.invited_email)
    has_account = User.objects.filter(
        email=grant.invited_email, is_active=True, roles__role=Role.PATIENT
    ).exists()
    zone = ZoneInfo(settings.TIME_ZONE)
    return deliver_email(
        key=task_message_key(context),
        to=grant.invited_email,
        subject="CareSlot: you are invited to act for a patient",
        template="patients/email/proxy_invitation",
        context=_grant_mail(grant)
        | {
            "token": token,
            "url": f"{settings.FRONTEND_URL}/proxy-invitation?token={token}",
            "signup_url": f"{settings.FRONTEND_URL}/register",
            "has_account": has_account,
            "accept_by": (
                f"{grant.invitation_expires_at.astimezone(zone):%d %B %Y, %H:%M} "
                f"({settings.TIME_ZONE})"
            ),
        },
    )

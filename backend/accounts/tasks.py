"""Account emails, sent by the worker. Requests enqueue these with an email address or an id;
the worker looks the account up, so a request does the same work whether or not one exists."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import TaskContext, task

from common.emails import deliver_email, task_message_key

from .models import User, normalize_email
from .tokens import make_email_confirmation_token


def send_confirmation(context: TaskContext, user: User) -> None:
    """The confirmation link, as the message of the running task `context`."""
    token = make_email_confirmation_token(user)
    deliver_email(
        key=task_message_key(context),
        to=user.email,
        subject="Confirm your CareSlot email address",
        template="accounts/email/confirm_email",
        context={
            "user": user,
            "token": token,
            "url": f"{settings.FRONTEND_URL}/confirm-email?token={token}",
            "hours": settings.EMAIL_CONFIRMATION_MAX_AGE // 3600,
        },
    )


def unconfirmed_user(**lookup) -> User | None:
    return User.objects.filter(**lookup, is_active=True, email_confirmed_at__isnull=True).first()


@task(takes_context=True)
def resend_confirmation_email(context: TaskContext, email: str) -> None:
    """A new confirmation link, if an active, unconfirmed account has this address."""
    if user := unconfirmed_user(email=normalize_email(email)):
        send_confirmation(context, user)


@task(takes_context=True)
def send_password_reset_email(context: TaskContext, email: str) -> None:
    """A reset link, if an active account has this address. The token is made here, at send
    time, from the account's current password and last login."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    deliver_email(
        key=task_message_key(context),
        to=user.email,
        subject="Reset your CareSlot password",
        template="accounts/email/password_reset",
        context={
            "user": user,
            "uid": uid,
            "token": token,
            "url": f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}",
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )

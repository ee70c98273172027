"""The email after a registration, sent by the worker."""

from django.conf import settings
from django_tasks import TaskContext, task

from accounts.models import User, normalize_email
from accounts.tasks import send_confirmation, unconfirmed_user
from common.emails import deliver_email, task_message_key


@task(takes_context=True)
def send_registration_email(
    context: TaskContext, email: str, user_id: str | None, license_taken: bool = False
) -> None:
    """The confirmation link to the new account (`user_id`); when none was made, a notice to
    the address: to the owner of the account it already had, or, for a doctor's license number
    that is registered already, to whoever registered with it."""
    if user_id is not None:
        if user := unconfirmed_user(pk=user_id):
            send_confirmation(context, user)
        return
    owner = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if owner is None and license_taken:
        deliver_email(
            key=task_message_key(context),
            to=normalize_email(email),
            subject="Your CareSlot doctor registration could not be completed",
            template="registration/email/license_taken",
            context={"support_email": settings.SUPPORT_EMAIL},
        )
    elif owner is not None:
        deliver_email(
            key=task_message_key(context),
            to=owner.email,
            subject="Someone tried to register with your CareSlot email address",
            template="registration/email/account_exists",
            context={"user": owner, "login_url": f"{settings.FRONTEND_URL}/login"},
        )

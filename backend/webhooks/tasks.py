"""Webhook mail, sent by the worker: the notice to a clinic's admins that their endpoint was
disabled. The delivery task itself is `services.deliver_webhook` (services.py says why)."""

from django_tasks import TaskContext, task

from accounts.models import User
from common.emails import deliver_email, task_message_key

from .models import WebhookEndpoint


@task(takes_context=True)
def send_endpoint_disabled_notice(
    context: TaskContext, endpoint_id: str, recipient_id: str
) -> None:
    endpoint = WebhookEndpoint.objects.select_related("clinic").filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    recipient = User.objects.get(pk=recipient_id)
    deliver_email(
        key=task_message_key(context),
        to=recipient.email,
        subject=f"CareSlot disabled a webhook endpoint of {endpoint.clinic.name}",
        template="webhooks/email/endpoint_disabled",
        context={"endpoint": endpoint, "clinic": endpoint.clinic, "recipient": recipient},
    )

"""Webhook background work, run by the worker: delivering one event to one endpoint, and the
mail to a clinic's admins when their endpoint was disabled."""

import http.client

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskContext, task

from accounts.models import User
from common.emails import deliver_email, task_message_key
from taskqueue.policy import RetryLater

from . import network, services
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .signing import body_of, signed_headers

RETRYABLE_STATUSES = {408, 429}


def max_attempts() -> int:
    return min(settings.WEBHOOK_MAX_ATTEMPTS, settings.TASK_MAX_ATTEMPTS)


def attempt_delivery(delivery: WebhookDelivery) -> "services.AttemptOutcome":
    """Check the address again, sign, POST, and say what came back."""
    endpoint = delivery.endpoint
    started_at = timezone.now()
    body = body_of(delivery.payload)
    headers = {
        "content-type": "application/json",
        "user-agent": "CareSlot-Webhooks/1",
        **signed_headers(
            message_id=str(delivery.pk),
            body=body,
            secrets_in_use=services.signing_secrets(endpoint, at=started_at),
            at=started_at,
        ),
    }
    try:
        destination = network.resolve(endpoint.url)
        response = network.post(destination, body=body, headers=headers)
    except network.HostNotResolved as exc:
        return services.AttemptOutcome(started_at, False, retryable=True, error=str(exc))
    except network.UnsafeDestination as exc:
        return services.AttemptOutcome(started_at, False, retryable=False, error=str(exc))
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return services.AttemptOutcome(started_at, False, retryable=True, error=error)
    code = response.status_code
    succeeded = 200 <= code < 300
    return services.AttemptOutcome(
        started_at,
        succeeded,
        retryable=code >= 500 or code in RETRYABLE_STATUSES,
        status_code=code,
        latency_ms=response.latency_ms,
        response_excerpt=response.excerpt,
        error="" if succeeded else f"The receiver answered {code}.",
    )


@task(takes_context=True)
def deliver_webhook(context: TaskContext, delivery_id: str, manual: bool = False) -> str:
    """One attempt at a delivery. A 5xx, 408 or 429 answer, a timeout or a connection error
    asks the worker for another attempt after its backoff (up to WEBHOOK_MAX_ATTEMPTS); a 2xx
    settles it; anything else (4xx, a redirect, a refused address) fails it at once. Safe to
    run twice: a settled delivery is not sent again."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if delivery.status != DeliveryStatus.PENDING:
        return delivery.status
    if not delivery.endpoint.enabled:
        services.abandon(delivery_id=delivery_id)
        return "endpoint disabled"
    outcome = attempt_delivery(delivery)
    final = outcome.succeeded or not outcome.retryable or context.attempt >= max_attempts()
    services.record_attempt(delivery_id=delivery_id, outcome=outcome, final=final, manual=manual)
    if not final:
        raise RetryLater(outcome.error)
    return DeliveryStatus.SUCCEEDED if outcome.succeeded else DeliveryStatus.FAILED


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

"""Webhook writes: managing a clinic's endpoints, queueing events for them, delivering them
(one attempt: check the address again, sign, POST) and recording what each attempt got back
(with the automatic disabling after a run of failures).

`deliver_webhook` is declared here, not in tasks.py: queueing an event enqueues it and it runs
`deliver`, so in tasks.py it would import this module and this module it (a cycle the sibling
contract in pyproject.toml forbids). tasks.py holds the mail, which needs nothing from here."""

import http.client
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from accounts.models import User
from clinics.models import Clinic
from clinics.selectors import clinic_admins
from common.errors import ConflictError, field_error
from taskqueue.policy import RetryLater

from . import network, tasks
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .signing import body_of, new_secret, signed_headers

RETRYABLE_STATUSES = {408, 429}


class TooManyEndpoints(ConflictError):
    default_code = "too_many_webhook_endpoints"


class EndpointDisabled(ConflictError):
    default_code = "webhook_endpoint_disabled"
    default_detail = "The endpoint is disabled; enable it before redelivering."


class DeliveryInProgress(ConflictError):
    default_code = "webhook_delivery_pending"
    default_detail = "This delivery is still being attempted."


def check_url(url: str) -> None:
    """A 400 on `url` unless the worker may call it (https outside DEBUG, public addresses
    only; network.py says why)."""
    try:
        network.resolve(url)
    except network.UnsafeDestination as exc:
        raise field_error("url", str(exc), code="unsafe_url") from exc


@transaction.atomic
def create_endpoint(
    *,
    clinic: Clinic,
    url: str,
    event_types: list[str],
    description: str = "",
    enabled: bool = True,
    created_by: User | None = None,
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (the caller shows it once)."""
    # The clinic's row lock serializes its endpoint creations, so the cap holds under races.
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    existing = WebhookEndpoint.objects.filter(clinic=clinic).count()
    if existing >= settings.WEBHOOK_MAX_ENDPOINTS_PER_CLINIC:
        raise TooManyEndpoints(
            f"A clinic has at most {settings.WEBHOOK_MAX_ENDPOINTS_PER_CLINIC} webhook endpoints."
        )
    check_url(url)
    return WebhookEndpoint.objects.create(
        clinic=clinic,
        url=url,
        event_types=sorted(set(event_types)),
        description=description,
        enabled=enabled,
        secret=new_secret(),
        created_by=created_by,
    )


@transaction.atomic
def update_endpoint(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change the URL, events, description or enabled flag. Enabling again starts a new run
    of failures from zero."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    fields = ["updated_at"]
    if "url" in changes and changes["url"] != endpoint.url:
        check_url(changes["url"])
        endpoint.url = changes["url"]
        fields.append("url")
    if "event_types" in changes:
        endpoint.event_types = sorted(set(changes["event_types"]))
        fields.append("event_types")
    if "description" in changes:
        endpoint.description = changes["description"]
        fields.append("description")
    if "enabled" in changes and changes["enabled"] != endpoint.enabled:
        endpoint.enabled = changes["enabled"]
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None if endpoint.enabled else timezone.now()
        endpoint.disabled_reason = "" if endpoint.enabled else "Disabled by an admin."
        fields += ["enabled", "consecutive_failures", "disabled_at", "disabled_reason"]
    endpoint.save(update_fields=fields)
    return endpoint


@transaction.atomic
def rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret (shown once by the caller); the old one keeps signing beside it for
    `WEBHOOK_SECRET_ROTATION_GRACE_HOURS`, so receivers can switch without losing events."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(
        hours=settings.WEBHOOK_SECRET_ROTATION_GRACE_HOURS
    )
    endpoint.secret = new_secret()
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint and its log; queued deliveries find nothing and send nothing."""
    endpoint.delete()


def signing_secrets(endpoint: WebhookEndpoint, *, at: datetime) -> list[str]:
    keys = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > at:
        keys.append(endpoint.previous_secret)
    return keys


def queue_event(*, clinic_id, event_type: str, data: dict) -> list[WebhookDelivery]:
    """One delivery (and its task) per enabled endpoint of the clinic subscribed to the event,
    written in the caller's transaction: a rolled-back change announces nothing."""
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(clinic_id=clinic_id, enabled=True)
        if event_type in endpoint.event_types
    ]
    if not endpoints:
        return []
    now = timezone.now()
    payload = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event_type=event_type, payload=payload)
        for endpoint in endpoints
    )
    for delivery in deliveries:
        deliver_webhook.enqueue(delivery_id=str(delivery.pk))
    return deliveries


@transaction.atomic
def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, now, whatever became of it (same `webhook-id`)."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .get(pk=delivery.pk)
    )
    if not delivery.endpoint.enabled:
        raise EndpointDisabled()
    if delivery.status == DeliveryStatus.PENDING:
        raise DeliveryInProgress()
    delivery.status = DeliveryStatus.PENDING
    delivery.save(update_fields=["status", "updated_at"])
    deliver_webhook.enqueue(delivery_id=str(delivery.pk), manual=True)
    return delivery


@dataclass
class AttemptOutcome:
    started_at: datetime
    succeeded: bool
    retryable: bool
    status_code: int | None = None
    latency_ms: int | None = None
    response_excerpt: str = ""
    error: str = ""


def max_attempts() -> int:
    return min(settings.WEBHOOK_MAX_ATTEMPTS, settings.TASK_MAX_ATTEMPTS)


def attempt_delivery(delivery: WebhookDelivery) -> AttemptOutcome:
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
            secrets_in_use=signing_secrets(endpoint, at=started_at),
            at=started_at,
        ),
    }
    try:
        destination = network.resolve(endpoint.url)
        response = network.post(destination, body=body, headers=headers)
    except network.HostNotResolved as exc:
        return AttemptOutcome(started_at, False, retryable=True, error=str(exc))
    except network.UnsafeDestination as exc:
        return AttemptOutcome(started_at, False, retryable=False, error=str(exc))
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return AttemptOutcome(started_at, False, retryable=True, error=error)
    code = response.status_code
    succeeded = 200 <= code < 300
    return AttemptOutcome(
        started_at,
        succeeded,
        retryable=code >= 500 or code in RETRYABLE_STATUSES,
        status_code=code,
        latency_ms=response.latency_ms,
        response_excerpt=response.excerpt,
        error="" if succeeded else f"The receiver answered {code}.",
    )


@dataclass
class DeliveryStep:
    """What one run of the delivery task came to: a status to report, or another attempt."""

    status: str
    retry_error: str | None = None


def deliver(*, delivery_id: str, attempt: int, manual: bool = False) -> DeliveryStep:
    """One attempt at a delivery (the task's `attempt`-th run). A 5xx, 408 or 429 answer, a
    timeout or a connection error asks for another attempt (up to `max_attempts()`); a 2xx
    settles it; anything else (4xx, a redirect, a refused address) fails it at once. Safe to
    run twice: a settled delivery is not sent again."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return DeliveryStep("gone")
    if delivery.status != DeliveryStatus.PENDING:
        return DeliveryStep(delivery.status)
    if not delivery.endpoint.enabled:
        abandon(delivery_id=delivery_id)
        return DeliveryStep("endpoint disabled")
    outcome = attempt_delivery(delivery)
    final = outcome.succeeded or not outcome.retryable or attempt >= max_attempts()
    record_attempt(delivery_id=delivery_id, outcome=outcome, final=final, manual=manual)
    if not final:
        return DeliveryStep(DeliveryStatus.PENDING, retry_error=outcome.error)
    return DeliveryStep(DeliveryStatus.SUCCEEDED if outcome.succeeded else DeliveryStatus.FAILED)


@task(takes_context=True)
def deliver_webhook(context: TaskContext, delivery_id: str, manual: bool = False) -> str:
    """The worker's run of `deliver`; the worker's backoff spaces the attempts."""
    step = deliver(delivery_id=delivery_id, attempt=context.attempt, manual=manual)
    if step.retry_error is not None:
        raise RetryLater(step.retry_error)
    return step.status


def _printable(text: str, limit: int) -> str:
    # PostgreSQL text holds no NUL, and a receiver's answer may contain anything.
    return text.replace("\x00", "\ufffd")[:limit]


@transaction.atomic
def record_attempt(
    *, delivery_id: str, outcome: AttemptOutcome, final: bool, manual: bool = False
) -> WebhookDelivery | None:
    """Log the attempt; settle the delivery when it succeeded or this was its last try. A
    delivery that finally failed extends the endpoint's run of failures, and the run reaching
    `WEBHOOK_MAX_CONSECUTIVE_FAILURES` disables the endpoint and mails the clinic's admins; a
    success ends the run."""
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:  # the endpoint was deleted meanwhile
        return None
    now = timezone.now()
    delivery.attempt_count += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempt=delivery.attempt_count,
        started_at=outcome.started_at,
        succeeded=outcome.succeeded,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_excerpt=_printable(outcome.response_excerpt, 2000),
        error=_printable(outcome.error, 500),
        manual=manual,
    )
    if outcome.succeeded:
        delivery.status, delivery.delivered_at = DeliveryStatus.SUCCEEDED, now
    elif final:
        delivery.status = DeliveryStatus.FAILED
    delivery.save(update_fields=["attempt_count", "status", "delivered_at", "updated_at"])
    if outcome.succeeded:
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0).update(
            consecutive_failures=0, updated_at=now
        )
    elif final:
        _count_failure(delivery.endpoint_id, now=now)
    return delivery


def _count_failure(endpoint_id, *, now: datetime) -> None:
    endpoint = (
        WebhookEndpoint.objects.select_for_update().select_related("clinic").get(pk=endpoint_id)
    )
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures", "updated_at"]
    limit = settings.WEBHOOK_MAX_CONSECUTIVE_FAILURES
    if endpoint.enabled and endpoint.consecutive_failures >= limit:
        endpoint.enabled = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = f"{endpoint.consecutive_failures} deliveries failed in a row."
        fields += ["enabled", "disabled_at", "disabled_reason"]
        for admin in clinic_admins(endpoint.clinic).filter(is_active=True):
            tasks.send_endpoint_disabled_notice.enqueue(
                endpoint_id=str(endpoint.pk), recipient_id=str(admin.pk)
            )
    endpoint.save(update_fields=fields)


def disable_endpoints_created_by(*, user: User, clinic: Clinic | None = None) -> int:
    """Disable the enabled endpoints `user` created (at `clinic`, or anywhere), and mail the
    clinic's remaining active admins about each: a removed or deactivated admin may have pointed
    one at a server of their own, so it sends nothing until an admin who stays enables it again
    (docs/webhooks.md). Returns how many were disabled."""
    endpoints = WebhookEndpoint.objects.select_for_update().filter(created_by=user, enabled=True)
    if clinic is not None:
        endpoints = endpoints.filter(clinic=clinic)
    now = timezone.now()
    disabled = 0
    for endpoint in endpoints.select_related("clinic").order_by("created_at", "id"):
        endpoint.enabled = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = (
            "The admin who created it no longer administers the clinic. Check that the URL "
            "belongs to the clinic before enabling it again."
        )
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason", "updated_at"])
        remaining = clinic_admins(endpoint.clinic).filter(is_active=True).exclude(pk=user.pk)
        for admin in remaining:
            tasks.send_endpoint_disabled_notice.enqueue(
                endpoint_id=str(endpoint.pk), recipient_id=str(admin.pk)
            )
        disabled += 1
    return disabled


def abandon(*, delivery_id: str) -> None:
    """The endpoint was disabled while the delivery waited: it is not sent (an admin may
    redeliver it once the endpoint is enabled again)."""
    WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, updated_at=timezone.now()
    )

"""Templated email, rendered and sent by the worker, and recorded under an idempotency key.

Requests never call this: they enqueue a task (in their own transaction) and the task calls
`deliver_email`. Delivery is at least once: a worker that dies after the mail server accepted a
message but before its delivery row commits sends it again on the retry, with the same
Message-ID (derived from the key), so mail clients can tell the two copies are one message.
"""

import hashlib
import logging
import time
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, connection
from django.template.loader import render_to_string

from . import metrics
from .models import EmailDelivery

logger = logging.getLogger(__name__)

Attachment = tuple[str, bytes, str]


def task_message_key(context, suffix: str = "") -> str:
    """The idempotency key of the message a task sends: one enqueued task is one event, and
    its id stays the same however many times the task runs."""
    task_result = context.task_result
    return f"{task_result.task.name}:{task_result.id}{suffix}"


def message_id(key: str) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "careslot"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def deliver_email(
    *,
    key: str,
    to: str,
    subject: str,
    template: str,
    context: dict,
    attachments: Iterable[Attachment] = (),
) -> bool:
    """Render `<template>.txt` and `<template>.html` and send them, unless the message with
    this key was delivered already. Returns whether it was sent now."""
    if EmailDelivery.objects.filter(key=key).exists():
        return False
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id(key)},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    try:
        message.send()
    except Exception:
        metrics.MAIL_FAILURES.inc()
        raise
    _record_delivery(key)
    return True


# About 30 s: longer than a PostgreSQL restart, shorter than the task lease.
RECORD_RETRY_DELAYS = (0.5, 1, 2, 4, 8, 8, 8)


def _record_delivery(key: str) -> None:
    """The server took the message: record it through a database blip (reconnecting), or the
    task's retry would send it again. Inside a transaction the caller's retry must do it."""
    for delay in RECORD_RETRY_DELAYS:
        try:
            EmailDelivery.objects.get_or_create(key=key)
            return
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block:
                raise
            logger.warning(
                "Mail %s sent, the database lost (%s); retrying the record in %ss",
                key,
                type(exc).__name__,
                delay,
            )
            connection.close()
            time.sleep(delay)
    EmailDelivery.objects.get_or_create(key=key)

"""Templated email, sent only once the surrounding transaction commits."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

Attachment = tuple[str, bytes, str]


def send_templated_email(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    attachments: Iterable[Attachment] = (),
) -> None:
    """Render `<template>.txt` and `<template>.html` and send them after commit."""
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    attachments = list(attachments)

    def send() -> None:
        message = EmailMultiAlternatives(
            subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
        )
        message.attach_alternative(html, "text/html")
        for filename, content, mimetype in attachments:
            message.attach(filename, content, mimetype)
        message.send()

    transaction.on_commit(send)

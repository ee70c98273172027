"""Writing the admin action log; any app may call it."""

from django.db import models

from .models import AdminActionLog


def record_admin_action(
    *, actor, action: str, target: models.Model, reason: str = "", **details
) -> AdminActionLog:
    return AdminActionLog.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.model_name,
        target_id=target.pk,
        reason=reason,
        details={key: str(value) for key, value in details.items()},
    )


def record_client_action(
    *, client_id, client_name: str, action: str, target_type: str, target_id, **details
) -> AdminActionLog:
    """An entry whose actor is an integration client, not a person."""
    return AdminActionLog.objects.create(
        actor=None,
        actor_client_id=client_id,
        actor_client_name=client_name,
        action=action,
        target_type=target_type[:32],
        target_id=target_id,
        details={key: str(value) for key, value in details.items()},
    )

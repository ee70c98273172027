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

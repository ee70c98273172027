from django.conf import settings
from django.db import models

from common.append_only import AppendOnlyModel


class AdminAction(models.TextChoices):
    USER_ACTIVATED = "user_activated", "User activated"
    USER_DEACTIVATED = "user_deactivated", "User deactivated"
    DOCTOR_CONFIRMED = "doctor_confirmed", "Doctor confirmed"
    DOCTOR_REJECTED = "doctor_rejected", "Doctor rejected"
    ROLE_GRANTED = "role_granted", "Role granted"
    ROLE_REVOKED = "role_revoked", "Role revoked"
    CLINIC_ADMIN_ASSIGNED = "clinic_admin_assigned", "Clinic admin assigned"
    CLINIC_ADMIN_REMOVED = "clinic_admin_removed", "Clinic admin removed"
    MFA_RESET = "mfa_reset", "Two-factor sign-in reset"
    TASK_REQUEUED = "task_requeued", "Failed task requeued"
    INTEGRATION_CLIENT_CREATED = "integration_client_created", "Integration client created"
    INTEGRATION_CLIENT_ROTATED = "integration_client_rotated", "Integration client rotated"
    INTEGRATION_CLIENT_REVOKED = "integration_client_revoked", "Integration client revoked"
    INTEGRATION_WRITE = "integration_write", "Write made by an integration client"


class AdminActionLog(AppendOnlyModel):
    """Who did which admin action to what, why and when. Append-only.

    The actor is a person (`actor`) or an integration client (`actor_client_id`, with its name
    as it was): a client is not a user. The client's table lives on a floor above this one, so
    the id is a plain column, not a foreign key (clients are revoked, never deleted)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_client_id = models.UUIDField(null=True, blank=True)
    actor_client_name = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=32, choices=AdminAction.choices)
    target_type = models.CharField(max_length=32)
    target_id = models.UUIDField()
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        # The table keeps the name it had when the log lived in `administration`.
        db_table = "administration_adminactionlog"
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor__isnull=False, actor_client_id__isnull=True)
                | models.Q(actor__isnull=True, actor_client_id__isnull=False),
                name="admin_log_one_actor",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at"], name="admin_log_created_idx"),
            models.Index(fields=["target_type", "target_id"], name="admin_log_target_idx"),
        ]

    def __str__(self) -> str:
        actor = self.actor_id or self.actor_client_id
        return f"{actor} {self.action} {self.target_type}:{self.target_id}"

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
    TASK_REQUEUED = "task_requeued", "Failed task requeued"


class AdminActionLog(AppendOnlyModel):
    """Who did which admin action to what, why and when. Append-only."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32, choices=AdminAction.choices)
    target_type = models.CharField(max_length=32)
    target_id = models.UUIDField()
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        # The table keeps the name it had when the log lived in `administration`.
        db_table = "administration_adminactionlog"
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["-created_at"], name="admin_log_created_idx"),
            models.Index(fields=["target_type", "target_id"], name="admin_log_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.target_type}:{self.target_id}"

from django_tasks_db.models import DBTaskResult
from rest_framework import serializers

from accounts.models import Role, UserRole
from audit.models import AdminActionLog
from common.fields import StrictCharField, StrictEmailField, StrictModelSerializer


class UserRoleSerializer(StrictModelSerializer):
    granted_by = serializers.UUIDField(source="granted_by_id", read_only=True, allow_null=True)

    class Meta:
        model = UserRole
        fields = ["role", "granted_at", "granted_by"]
        read_only_fields = fields


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    reason = StrictCharField(max_length=500, required=False, default="", allow_blank=True)


class AdminActionLogSerializer(StrictModelSerializer):
    actor_email = StrictEmailField(
        source="actor.email", allow_null=True, help_text="null when an integration client acted"
    )

    class Meta:
        model = AdminActionLog
        fields = [
            "id",
            "actor",
            "actor_email",
            "actor_client_id",
            "actor_client_name",
            "action",
            "target_type",
            "target_id",
            "reason",
            "details",
            "created_at",
        ]
        read_only_fields = fields


class FailedTaskSerializer(StrictModelSerializer):
    task = StrictCharField(source="task_path", help_text="The task function's path")
    arguments = serializers.JSONField(source="args_kwargs", help_text="Its args and kwargs")
    attempts = serializers.SerializerMethodField()
    error = StrictCharField(
        source="exception_class_path", help_text="The exception class of the last attempt"
    )
    error_message = serializers.SerializerMethodField()

    class Meta:
        model = DBTaskResult
        fields = [
            "id",
            "task",
            "queue_name",
            "status",
            "arguments",
            "attempts",
            "enqueued_at",
            "started_at",
            "finished_at",
            "error",
            "error_message",
            "traceback",
        ]
        read_only_fields = fields

    def get_attempts(self, task: DBTaskResult) -> int:
        return len(task.worker_ids)

    def get_error_message(self, task: DBTaskResult) -> str:
        """The last line of the traceback: the exception and its message."""
        lines = [line for line in task.traceback.splitlines() if line.strip()]
        return lines[-1] if lines else ""

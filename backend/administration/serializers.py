from rest_framework import serializers

from accounts.models import Role, UserRole
from audit.models import AdminActionLog


class UserRoleSerializer(serializers.ModelSerializer):
    granted_by = serializers.UUIDField(source="granted_by_id", read_only=True, allow_null=True)

    class Meta:
        model = UserRole
        fields = ["role", "granted_at", "granted_by"]
        read_only_fields = fields


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class AdminActionLogSerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email")

    class Meta:
        model = AdminActionLog
        fields = [
            "id",
            "actor",
            "actor_email",
            "action",
            "target_type",
            "target_id",
            "reason",
            "details",
            "created_at",
        ]
        read_only_fields = fields

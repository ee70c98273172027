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
    actor_email = StrictEmailField(source="actor.email")

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

from rest_framework import serializers

from accounts.models import Role, UserRole


class UserRoleSerializer(serializers.ModelSerializer):
    granted_by = serializers.UUIDField(source="granted_by_id", read_only=True, allow_null=True)

    class Meta:
        model = UserRole
        fields = ["role", "granted_at", "granted_by"]
        read_only_fields = fields


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)

from rest_framework import serializers

from .models import User


class AccountSerializer(serializers.ModelSerializer):
    """A user account: the caller's own, or any account for platform admins."""

    roles = serializers.SerializerMethodField()
    email_confirmed = serializers.BooleanField(source="is_email_confirmed", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "roles",
            "email_confirmed",
            "is_active",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return sorted(role.role for role in user.roles.all())


class AccountUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=32, allow_blank=True)


class TokenInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1024)


class EmailInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginResultSerializer(TokenPairSerializer):
    user = AccountSerializer()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2048)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()

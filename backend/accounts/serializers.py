from rest_framework import serializers

from doctors.models import LANGUAGE_CHOICES, Specialty
from patients.models import Gender

from .models import Role, User


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


class _RegistrationSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    # No "email taken" check: it would tell anyone which addresses have accounts. The service
    # answers the same for a taken address and emails its owner instead.


class PatientRegistrationSerializer(_RegistrationSerializer):
    date_of_birth = serializers.DateField()
    gender = serializers.ChoiceField(
        choices=Gender.choices, required=False, default=Gender.UNDISCLOSED
    )
    address = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    emergency_contact_name = serializers.CharField(
        max_length=150, required=False, default="", allow_blank=True
    )
    emergency_contact_phone = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True
    )


class DoctorRegistrationSerializer(_RegistrationSerializer):
    license_number = serializers.CharField(max_length=64)
    specialty = serializers.SlugRelatedField(slug_field="slug", queryset=Specialty.objects.all())
    bio = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGE_CHOICES),
        required=False,
        default=list,
        max_length=20,
    )
    consultation_fee = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, default=0
    )


class RegistrationResultSerializer(serializers.Serializer):
    email = serializers.EmailField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))
    detail = serializers.CharField()


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

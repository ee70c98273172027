from rest_framework import serializers

from common.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictModelSerializer,
)

from .models import User


class AccountSerializer(StrictModelSerializer):
    """A user account: the caller's own, or any account for platform admins."""

    roles = serializers.SerializerMethodField()
    email_confirmed = StrictBooleanField(source="is_email_confirmed", read_only=True)

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
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150)
    phone = StrictCharField(max_length=32, allow_blank=True)


class TokenInputSerializer(serializers.Serializer):
    token = StrictCharField(max_length=1024)


class EmailInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class LoginSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(write_only=True, trim_whitespace=False, max_length=128)


class TokenPairSerializer(serializers.Serializer):
    access = StrictCharField()
    refresh = StrictCharField()


class LoginResultSerializer(TokenPairSerializer):
    user = AccountSerializer()


class RefreshSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=2048)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = StrictCharField(max_length=64)
    token = StrictCharField(max_length=128)
    new_password = StrictCharField(trim_whitespace=False, max_length=128)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = StrictCharField(trim_whitespace=False, max_length=128)
    new_password = StrictCharField(trim_whitespace=False, max_length=128)


class DetailSerializer(serializers.Serializer):
    detail = StrictCharField()


class MfaChallengeSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["mfa_required", "mfa_enrolment_required"])
    detail = StrictCharField()
    challenge = StrictCharField(help_text="Short-lived; send it with the code (or to enrol).")
    expires_in = StrictIntegerField(help_text="Seconds the challenge stays usable.")


class MfaLoginSerializer(serializers.Serializer):
    challenge = StrictCharField(max_length=1024)
    code = StrictCharField(
        max_length=32, help_text="The 6 digits of the authenticator app, or a recovery code."
    )


class MfaEnrolStartSerializer(serializers.Serializer):
    challenge = StrictCharField(
        max_length=1024,
        required=False,
        help_text="The login's `mfa_enrolment_required` challenge, when not logged in.",
    )


class MfaEnrolConfirmSerializer(MfaEnrolStartSerializer):
    code = StrictCharField(max_length=16, help_text="The first code the app shows.")


class MfaProvisioningSerializer(serializers.Serializer):
    provisioning_uri = StrictCharField(help_text="An otpauth:// URI for the authenticator app.")
    secret = StrictCharField(help_text="The key in base32, for typing in by hand.")
    qr_code = StrictCharField(help_text="The URI as a QR code: an SVG data URI.")


class MfaEnrolResultSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=StrictCharField(), help_text="Ten one-time codes, shown this once: keep them."
    )
    access = StrictCharField(required=False, help_text="When enrolling from a login challenge.")
    refresh = StrictCharField(required=False, help_text="When enrolling from a login challenge.")

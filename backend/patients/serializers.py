from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.date_windows import (
    BIRTH_DATES,
    PROXY_GRANT_ENDS,
    WindowedDateField,
    WindowedDateTimeField,
)
from common.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictModelSerializer,
)

from .models import (
    Gender,
    Patient,
    ProxyGrant,
    ProxyGrantStatus,
    ProxyScope,
    Relationship,
    grant_status,
)


class PatientSerializer(StrictModelSerializer):
    email = StrictEmailField(source="user.email", read_only=True)
    first_name = StrictCharField(source="user.first_name", read_only=True)
    last_name = StrictCharField(source="user.last_name", read_only=True)
    phone = StrictCharField(source="user.phone", read_only=True)
    is_active = StrictBooleanField(source="user.is_active", read_only=True)
    user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "user_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "date_of_birth",
            "gender",
            "address",
            "emergency_contact_name",
            "emergency_contact_phone",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class PatientUpdateSerializer(serializers.Serializer):
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150)
    phone = StrictCharField(max_length=32, allow_blank=True)
    date_of_birth = WindowedDateField(window=BIRTH_DATES)
    gender = serializers.ChoiceField(choices=Gender.choices)
    address = StrictCharField(max_length=255, allow_blank=True)
    emergency_contact_name = StrictCharField(max_length=150, allow_blank=True)
    emergency_contact_phone = StrictCharField(max_length=32, allow_blank=True)


class DependentSerializer(serializers.Serializer):
    """A dependent as their guardian sees them; `id` is the dependent's patient id, the one
    bookings, the waitlist and the history take."""

    id = serializers.UUIDField(source="dependent_id", read_only=True)
    first_name = StrictCharField(source="dependent.user.first_name", read_only=True)
    last_name = StrictCharField(source="dependent.user.last_name", read_only=True)
    date_of_birth = serializers.DateField(source="dependent.date_of_birth", read_only=True)
    gender = serializers.ChoiceField(
        source="dependent.gender", choices=Gender.choices, read_only=True
    )
    relationship = serializers.ChoiceField(choices=Relationship.choices, read_only=True)
    access_ends_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The dependent's coming of age (AGE_OF_MAJORITY), when your access ends; "
        "null for an adult in your care.",
    )
    created_at = serializers.DateTimeField(read_only=True)


class DependentCreateSerializer(serializers.Serializer):
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150)
    date_of_birth = WindowedDateField(window=BIRTH_DATES)
    relationship = serializers.ChoiceField(choices=Relationship.choices)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)


class ClaimInvitationSerializer(serializers.Serializer):
    email = StrictEmailField(help_text="The dependent's own address; the link goes there.")


class ClaimSerializer(serializers.Serializer):
    token = StrictCharField(max_length=1000, help_text="The token of the invitation's link")
    password = StrictCharField(max_length=128, trim_whitespace=False, write_only=True)


class ClaimResultSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="The patient id, unchanged")
    email = StrictEmailField(source="user.email", read_only=True)


class ProxyPartySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    first_name = StrictCharField(read_only=True)
    last_name = StrictCharField(read_only=True)


class ProxyGrantSerializer(serializers.Serializer):
    """A grant as both sides see it; `patient` is the patient id the grantee acts for. Until
    the invited account accepts, `grantee` is null and only `invited_email` names it."""

    id = serializers.UUIDField(read_only=True)
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    patient_name = ProxyPartySerializer(source="patient.user", read_only=True)
    invited_email = StrictEmailField(read_only=True)
    grantee = ProxyPartySerializer(read_only=True, allow_null=True)
    scope = serializers.ChoiceField(choices=ProxyScope.choices, read_only=True)
    status = serializers.SerializerMethodField(
        help_text="invited (not accepted yet), active, revoked, or expired (the grant, or the "
        "invitation unaccepted at `invitation_expires_at`)"
    )
    created_at = serializers.DateTimeField(read_only=True)
    invitation_expires_at = serializers.DateTimeField(read_only=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    expires_at = serializers.DateTimeField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    is_live = serializers.SerializerMethodField(help_text="Accepted, neither revoked nor expired")

    @extend_schema_field(serializers.ChoiceField(choices=ProxyGrantStatus.choices))
    def get_status(self, grant: ProxyGrant) -> str:
        return grant_status(grant)

    def get_is_live(self, grant: ProxyGrant) -> bool:
        return grant_status(grant) == ProxyGrantStatus.ACTIVE


class ProxyGrantCreateSerializer(serializers.Serializer):
    grantee_email = StrictEmailField(
        help_text="The address of the patient you invite to act for you; they accept with the "
        "mailed link"
    )
    scope = serializers.ChoiceField(choices=ProxyScope.choices)
    expires_at = WindowedDateTimeField(window=PROXY_GRANT_ENDS)


class ProxyInvitationAcceptSerializer(serializers.Serializer):
    token = StrictCharField(max_length=1000, help_text="The token of the invitation's link")

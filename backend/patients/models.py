import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from common.models import TimeStampedModel


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNDISCLOSED = "undisclosed", "Prefer not to say"


class Patient(TimeStampedModel):
    """A patient's profile. The points balance lives in the loyalty ledger, not here."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient"
    )
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=16, choices=Gender.choices, default=Gender.UNDISCLOSED)
    address = models.CharField(max_length=255, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=32, blank=True)
    # A dependent's profile (docs/families.md): its user row has no password and no role, so
    # nobody logs in as it; its guardian acts for it until it is claimed.
    is_dependent = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        # Granted per patient to the accounts a proxy grant names (docs/families.md).
        permissions = [
            ("book_for_patient", "Book and manage appointments for the patient"),
            ("read_history_of_patient", "Read the patient's medical history"),
        ]
        # The patient list's orderings (by name goes through user_name_idx).
        indexes = [
            models.Index(fields=["created_at"], name="patient_created_idx"),
            models.Index(fields=["date_of_birth"], name="patient_birth_date_idx"),
        ]

    def __str__(self) -> str:
        return f"Patient {self.user.full_name}"


class PatientUserObjectPermission(UserObjectPermissionBase):
    """guardian's per-patient permissions (doctors treating the patient) with a real foreign key."""

    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)


class Relationship(models.TextChoices):
    CHILD = "child", "Child"
    GRANDCHILD = "grandchild", "Grandchild"
    PARENT = "parent", "Parent"
    GRANDPARENT = "grandparent", "Grandparent"
    PARTNER = "partner", "Partner"
    SIBLING = "sibling", "Sibling"
    OTHER = "other", "Other relative or person cared for"


class GuardianshipEnd(models.TextChoices):
    CLAIMED = "claimed", "The dependent claimed the profile with an account of their own"


class Guardianship(models.Model):
    """A patient account acting for a dependent profile (docs/families.md). For a minor,
    `access_ends_on` is their coming of age: access stops that day, whether or not the daily
    task has ended the row yet."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    guardian = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="guardianships")
    dependent = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="guardians")
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    created_at = models.DateTimeField(default=timezone.now)
    access_ends_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=GuardianshipEnd.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dependent"],
                condition=models.Q(ended_at__isnull=True),
                name="guardianship_one_live_per_dependent",
            ),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("dependent")),
                name="guardianship_not_self",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True, end_reason="")
                | models.Q(ended_at__isnull=False) & ~models.Q(end_reason=""),
                name="guardianship_ended_with_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["guardian"],
                condition=models.Q(ended_at__isnull=True),
                name="guardianship_live_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian_id} for {self.dependent_id}"


class ProxyScope(models.TextChoices):
    BOOKING = "booking", "Book, cancel, reschedule and join waitlists"
    BOOKING_HISTORY = "booking_history", "Booking, and reading the medical history"


class ProxyGrant(models.Model):
    """An adult patient lets another account act for them (docs/families.md): an invitation
    to `invited_email` first, with no grantee; the account with that address accepts it,
    and from then until `expires_at`, unless revoked first, it is live. The access itself
    is guardian's object permissions on the patient, written at acceptance and removed with
    the grant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="proxy_grants")
    invited_email = models.EmailField()
    invitation_expires_at = models.DateTimeField()
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proxy_grants_received",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=16, choices=ProxyScope.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "grantee"],
                condition=models.Q(revoked_at__isnull=True, grantee__isnull=False),
                name="proxy_grant_one_open_per_pair",
            ),
            models.UniqueConstraint(
                fields=["patient", "invited_email"],
                condition=models.Q(revoked_at__isnull=True, accepted_at__isnull=True),
                name="proxy_grant_one_invitation_per_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(grantee__isnull=True, accepted_at__isnull=True)
                | models.Q(grantee__isnull=False, accepted_at__isnull=False),
                name="proxy_grant_grantee_when_accepted",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="proxy_grant_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=models.Q(scope__in=ProxyScope.values), name="proxy_grant_scope_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["grantee", "expires_at"],
                condition=models.Q(revoked_at__isnull=True),
                name="proxy_grant_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grantee_id or self.invited_email} for {self.patient_id} ({self.scope})"


class ProxyGrantStatus(models.TextChoices):
    INVITED = "invited", "Invited, not accepted yet"
    ACTIVE = "active", "Accepted and live"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired, or the invitation lapsed unaccepted"


def grant_status(grant: ProxyGrant) -> str:
    now = timezone.now()
    if grant.revoked_at is not None:
        return ProxyGrantStatus.REVOKED
    if grant.expires_at <= now:
        return ProxyGrantStatus.EXPIRED
    if grant.accepted_at is None:
        if grant.invitation_expires_at <= now:
            return ProxyGrantStatus.EXPIRED
        return ProxyGrantStatus.INVITED
    return ProxyGrantStatus.ACTIVE

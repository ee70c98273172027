import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from common.append_only import AppendOnlyModel


def normalize_email(email: str) -> str:
    """Emails are logins and compared case-insensitively, so they are stored lower-cased."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True, email_confirmed_at=timezone.now())
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with their email. What they may do comes from their roles."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the Django admin.")
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Bumped to revoke every token issued before (password change, deactivation).
    token_version = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["date_joined"], name="user_date_joined_idx"),
            # The admin user list's `?ordering=-last_login` (most recent first, never-logged-in
            # last, as the ordering filter sorts a nullable column), and lists by name.
            # Plain column order: SQLite (make run) cannot index NULLS LAST.
            models.Index(fields=["last_login", "id"], name="user_last_login_idx"),
            models.Index(fields=["last_name", "first_name"], name="user_name_idx"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def has_role(self, role: str) -> bool:
        roles = getattr(self, "_role_cache", None)
        if roles is None:
            roles = set(self.roles.values_list("role", flat=True))
            self._role_cache = roles
        return role in roles


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    DOCTOR = "doctor", "Doctor"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    PLATFORM_ADMIN = "platform_admin", "Platform admin"


class UserRole(models.Model):
    """One role held by a user (the `user_role` table); a user may hold several."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "user_role"
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="user_role_unique"),
        ]
        indexes = [models.Index(fields=["role"], name="user_role_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"


class LoginEvent(AppendOnlyModel):
    """One successful login, for the user-activity report."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_events")

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "user"], name="login_event_created_idx"),
        ]


class TokenFamilyEnd(models.TextChoices):
    LOGOUT = "logout", "Logged out"
    REUSE = "reuse", "A rotated refresh token was presented again"
    REVOKED = "revoked", "Every session revoked (password change, deactivation)"
    EXPIRED = "expired", "The session reached SESSION_MAX_AGE"


class TokenFamily(models.Model):
    """Every refresh token descended from one login (RFC 9700 §4.14.2 rotation).

    Only the refresh token whose jti is `current_jti` may be rotated; rotation moves
    `current_jti` with one conditional UPDATE, so one request wins per token. An earlier token
    of the family presented again is a reuse: the family ends and its owner logs in again.
    Access tokens name their family and stop working when it ends."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    current_jti = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=TokenFamilyEnd.choices, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True, end_reason="")
                | models.Q(ended_at__isnull=False) & ~models.Q(end_reason=""),
                name="token_family_ended_with_reason",
            ),
        ]
        indexes = [
            # Revoking every live session of a user (password change, deactivation).
            models.Index(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="token_family_live_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}Z"


class RecoveryCode(models.Model):
    """A one-time code that stands in for the TOTP code when the device is lost. Ten are issued
    at enrolment and shown once; only their HMAC-SHA256 (keyed with SECRET_KEY) is stored, so a
    copy of the table does not sign anyone in. django-otp's static tokens are stored in the
    clear, hence this model."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"

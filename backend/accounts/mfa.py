"""Two-factor sign-in for staff: TOTP devices (django-otp), hashed recovery codes, and the
short-lived challenge a login answers with when a second factor is needed (docs/security.md,
"Two-factor sign-in").

Who needs it: anyone with a confirmed TOTP device, whatever their role; and who must enrol: the
roles in `MFA_REQUIRED_ROLES` (`CARESLOT_MFA_REQUIRED_ROLES`), and whoever an app above says
must (`mfa_requirement`: a clinic that requires it of its admins and doctors).
"""

import base64
import hashlib
import hmac
import secrets
import uuid

import segno
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.cache_health import CACHE_ERRORS, cache_degraded

from .models import RecoveryCode, User

# Sent with `user`; a receiver returns True when that user must sign in with a second factor.
mfa_requirement = Signal()

RECOVERY_CODE_COUNT = 10
CHALLENGE_SALT = "accounts.mfa-challenge"


class Purpose:
    VERIFY = "mfa_required"  # enrolled: the code completes the login
    ENROL = "mfa_enrolment_required"  # must enrol first: the challenge lets them enrol


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def must_enrol(user: User) -> bool:
    if any(user.has_role(role) for role in settings.MFA_REQUIRED_ROLES):
        return True
    return any(answer for _, answer in mfa_requirement.send(sender=User, user=user))


def login_purpose(user: User) -> str | None:
    """What a login with the right password still needs: a code, an enrolment, or nothing."""
    if confirmed_device(user) is not None:
        return Purpose.VERIFY
    if must_enrol(user):
        return Purpose.ENROL
    return None


# --- challenges --------------------------------------------------------------------------------


def make_challenge(user: User, purpose: str) -> str:
    payload = {"uid": str(user.pk), "p": purpose, "ver": user.token_version, "n": uuid.uuid4().hex}
    return signing.dumps(payload, salt=CHALLENGE_SALT)


def read_challenge(raw: str, *, purposes: tuple[str, ...]) -> tuple[User, dict] | None:
    """The user a live challenge was made for, or None (forged, expired, used, or made before
    the user's tokens were revoked)."""
    try:
        payload = signing.loads(raw, salt=CHALLENGE_SALT, max_age=settings.MFA_CHALLENGE_SECONDS)
    except signing.BadSignature:
        return None
    if payload.get("p") not in purposes:
        return None
    user = User.objects.filter(pk=payload.get("uid"), is_active=True).first()
    if user is None or user.token_version != payload.get("ver"):
        return None
    try:
        if cache.get(_used_key(payload)) is not None:
            return None
    except CACHE_ERRORS as exc:
        cache_degraded("login_backoff", exc)
    return user, payload


def spend_challenge(payload: dict) -> None:
    """A challenge signs in once."""
    try:
        cache.set(_used_key(payload), 1, timeout=settings.MFA_CHALLENGE_SECONDS + 1)
    except CACHE_ERRORS as exc:
        cache_degraded("login_backoff", exc)


def _used_key(payload: dict) -> str:
    return f"mfa-challenge-used:{payload.get('n')}"


# --- codes -------------------------------------------------------------------------------------


def verify_code(user: User, code: str) -> bool:
    """A current TOTP code of the user's confirmed device (each code works once), or one of their
    unused recovery codes (spent by this)."""
    code = "".join(code.split())
    device = confirmed_device(user)
    if device is not None and code.isdigit() and device.verify_token(code):
        return True
    return _spend_recovery_code(user, code)


def _hash(code: str) -> str:
    normal = code.replace("-", "").upper()
    return hmac.new(settings.SECRET_KEY.encode(), normal.encode(), hashlib.sha256).hexdigest()


def _spend_recovery_code(user: User, code: str) -> bool:
    if not code:
        return False
    return bool(
        RecoveryCode.objects.filter(user=user, code_hash=_hash(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (60 random bits each, `XXXX-XXXX-XXXX`) replacing any the user had;
    returned once, stored hashed."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(8)).decode()[:12]
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash(c)) for c in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- enrolment ---------------------------------------------------------------------------------


def start_enrolment(user: User) -> TOTPDevice:
    """A new unconfirmed device (replacing an unconfirmed one); the caller shows its URI."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def provisioning(device: TOTPDevice) -> dict[str, str]:
    uri = device.config_url
    return {
        "provisioning_uri": uri,
        "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        "qr_code": segno.make(uri, error="m").svg_data_uri(scale=4),
    }


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Confirm the pending device with its first code: it becomes the user's one device, and
    ten recovery codes are returned (once). None when the code is wrong or nothing is pending."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        code = "".join(code.split())
        if device is None or not code.isdigit() or not device.verify_token(code):
            return None
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return new_recovery_codes(user)


def reset(user: User) -> int:
    """Remove every device and recovery code of `user` (a platform admin's reset after a lost
    device); returns how many devices went."""
    RecoveryCode.objects.filter(user=user).delete()
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    return removed

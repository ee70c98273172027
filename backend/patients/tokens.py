"""The signed links that let a dependent claim their profile and a patient accept a proxy
grant's invitation (docs/families.md)."""

from django.conf import settings
from django.core import signing

_CLAIM_SALT = "patients.dependent-claim"
_PROXY_SALT = "patients.proxy-invitation"


def make_claim_token(*, dependent_id: str, email: str) -> str:
    return signing.dumps({"dependent": dependent_id, "email": email}, salt=_CLAIM_SALT)


def read_claim_token(token: str) -> dict | None:
    """The token's payload, or None when it is forged, corrupt or older than the max age."""
    try:
        payload = signing.loads(
            token, salt=_CLAIM_SALT, max_age=settings.DEPENDENT_CLAIM_MAX_AGE_SECONDS
        )
    except signing.BadSignature:
        return None
    return payload if isinstance(payload, dict) else None


def make_proxy_invitation_token(*, grant_id: str, email: str) -> str:
    return signing.dumps({"grant": grant_id, "email": email}, salt=_PROXY_SALT)


def read_proxy_invitation_token(token: str) -> dict | None:
    """The payload, or None when forged, corrupt or older than the invitation's max age (the
    grant's own `invitation_expires_at` and single use are checked on acceptance)."""
    try:
        payload = signing.loads(
            token, salt=_PROXY_SALT, max_age=settings.PROXY_INVITATION_MAX_AGE_SECONDS
        )
    except signing.BadSignature:
        return None
    return payload if isinstance(payload, dict) else None

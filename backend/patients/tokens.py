"""The signed link that lets a dependent claim their profile (docs/families.md)."""

from django.conf import settings
from django.core import signing

_CLAIM_SALT = "patients.dependent-claim"


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

"""Tokens: JWTs that carry the user's token version, and email-confirmation links."""

from django.conf import settings
from django.core import signing
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from .models import TokenFamily, User

TOKEN_VERSION_CLAIM = "ver"
FAMILY_CLAIM = "fam"
SESSION_START_CLAIM = "sst"  # when the login that started the session happened (epoch seconds)
# How the login that started the session was authenticated (RFC 8176): ["pwd"], or ["pwd", "otp"]
# after a second factor. Refresh and access tokens of the session carry it.
AMR_CLAIM = "amr"
_CONFIRMATION_SALT = "accounts.email-confirmation"


class VersionedRefreshToken(RefreshToken):
    """A refresh token (and the access tokens made from it) bound to `user.token_version` and
    to the token family a login starts."""

    @classmethod
    def for_user(cls, user: User, amr: tuple[str, ...] = ("pwd",)) -> "VersionedRefreshToken":
        token = super().for_user(user)
        token[AMR_CLAIM] = list(amr)
        token[TOKEN_VERSION_CLAIM] = user.token_version
        family = TokenFamily.objects.create(user=user, current_jti=token["jti"])
        token[FAMILY_CLAIM] = str(family.pk)
        token[SESSION_START_CLAIM] = int(family.created_at.timestamp())
        # simplejwt recorded the token before the claim was added; keep the record exact.
        OutstandingToken.objects.filter(jti=token["jti"]).update(token=str(token))
        return token


def token_matches_user(token, user: User) -> bool:
    return token.get(TOKEN_VERSION_CLAIM) == user.token_version


def make_email_confirmation_token(user: User) -> str:
    return signing.dumps({"uid": str(user.pk), "email": user.email}, salt=_CONFIRMATION_SALT)


def read_email_confirmation_token(token: str) -> dict | None:
    """The token's payload, or None when it is forged, corrupt or older than the max age."""
    try:
        return signing.loads(
            token, salt=_CONFIRMATION_SALT, max_age=settings.EMAIL_CONFIRMATION_MAX_AGE
        )
    except signing.BadSignature:
        return None

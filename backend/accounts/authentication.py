from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from .models import TokenFamily
from .tokens import FAMILY_CLAIM, token_matches_user


class CareSlotJWTAuthentication(JWTAuthentication):
    """JWT auth that also refuses tokens of inactive users, tokens issued before a revocation
    and tokens of a session (token family) that has ended."""

    def get_user(self, validated_token):
        if FAMILY_CLAIM in validated_token:
            user = self._user_of_live_family(validated_token)
        else:
            # Only tokens minted outside a login (tests, bench tooling) name no family; whoever
            # can sign one could sign a family claim too, so this grants nothing.
            user = super().get_user(validated_token)  # refuses inactive users
        if not token_matches_user(validated_token, user):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user

    def _user_of_live_family(self, validated_token):
        # One query, as the plain user lookup: the family row brings its user along.
        family = (
            TokenFamily.objects.select_related("user")
            .filter(pk=validated_token[FAMILY_CLAIM], user_id=validated_token.get("user_id"))
            .first()
        )
        if family is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not family.user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if family.ended_at is not None:
            raise AuthenticationFailed("This session has ended.", code="token_revoked")
        return family.user


class CareSlotJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.CareSlotJWTAuthentication"
    name = "jwtAuth"

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from .tokens import token_matches_user


class CareSlotJWTAuthentication(JWTAuthentication):
    """JWT auth that also refuses tokens of inactive users and tokens issued before a revocation."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)  # refuses inactive users
        if not token_matches_user(validated_token, user):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user


class CareSlotJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.CareSlotJWTAuthentication"
    name = "jwtAuth"

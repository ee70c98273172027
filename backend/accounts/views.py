"""Account endpoints: thin views over accounts.services."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.openapi import ErrorCode401Enum
from common.schema import error_response
from common.throttling import ClientScopedRateThrottle

from . import serializers as s
from . import services
from .selectors import account_for_user

TAGS = ["auth"]
ACCEPTED = OpenApiResponse(s.DetailSerializer, description="Accepted; the outcome is not revealed.")


class PublicView(APIView):
    """An endpoint for callers who are not logged in (yet)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientScopedRateThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        # Without it DRF turns this view's 401s (bad credentials, bad refresh token) into 403s.
        return 'Bearer realm="api"'


class EmailConfirmView(PublicView):
    throttle_scope = "confirmation_resend"

    @extend_schema(
        summary="Confirm an email address",
        tags=TAGS,
        request=s.TokenInputSerializer,
        responses={200: s.AccountSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.confirm_email(token=data.validated_data["token"])
        return Response(s.AccountSerializer(account_for_user(user)).data)


class EmailResendView(PublicView):
    throttle_scope = "confirmation_resend"

    @extend_schema(
        summary="Resend the confirmation email",
        description="Always answers 202, whether or not an unconfirmed account has this email.",
        tags=TAGS,
        request=s.EmailInputSerializer,
        responses={202: ACCEPTED},
    )
    def post(self, request: Request) -> Response:
        data = s.EmailInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.resend_confirmation(email=data.validated_data["email"])
        return Response(
            {"detail": "If an unconfirmed account has this email, a new link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class LoginView(PublicView):
    throttle_scope = "login"

    @extend_schema(
        summary="Log in",
        description=(
            "Returns an access token (short-lived) and a refresh token, whose `amr` claim is "
            '`["pwd"]`. A user who signs in with a second factor gets `202` instead, with '
            "`code` `mfa_required` and a short-lived `challenge` to send with the code to "
            "`POST /auth/login/mfa/`; one whose role (or clinic) requires a second factor "
            "and who has not enrolled gets `mfa_enrolment_required` and a challenge to enrol "
            "with (`POST /auth/mfa/totp/`, then `/confirm/`), which then returns the tokens."
        ),
        tags=TAGS,
        request=s.LoginSerializer,
        responses={
            200: s.LoginResultSerializer,
            202: s.MfaChallengeSerializer,
            401: error_response(
                "LoginUnauthorized", "Wrong email or password.", "invalid_credentials"
            ),
            403: error_response(
                "LoginForbidden", "The email address is not confirmed yet.", "email_not_confirmed"
            ),
            429: error_response(
                "LoginTooManyRequests",
                "Too many attempts: `throttled` (per client network), `account_locked` (too many "
                "failures for this email from this network; even the right password is refused "
                "until the cool-off ends) or `login_backoff` (too many failures for this account "
                "from anywhere: the attempt is not checked until the wait ends). `Retry-After` "
                "gives the wait in seconds.",
                "throttled",
                "account_locked",
                "login_backoff",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, result = services.log_in(**data.validated_data, request=request._request)
        if "challenge" in result:
            return Response(result, status=status.HTTP_202_ACCEPTED)
        return Response({**result, "user": s.AccountSerializer(account_for_user(user)).data})


TOO_MANY_CODES = error_response(
    "MfaTooManyRequests",
    "Too many attempts: `throttled` (per client network, `THROTTLE_SECOND_FACTOR`), "
    "`account_locked` (too many failures "
    "for this account from this network) or `login_backoff` (too many for this account from "
    "anywhere). A wrong code counts as a failed login. `Retry-After` gives the wait in seconds.",
    "throttled",
    "account_locked",
    "login_backoff",
)


class LoginMfaView(PublicView):
    throttle_scope = "second_factor"

    @extend_schema(
        summary="Complete a login with the second factor",
        description=(
            "Takes the `challenge` of a login that answered `mfa_required` and the current "
            "code of the authenticator app, or one of the recovery codes (each works once). "
            'Returns the tokens, whose `amr` claim is `["pwd", "otp"]`.'
        ),
        tags=TAGS,
        request=s.MfaLoginSerializer,
        responses={
            200: s.LoginResultSerializer,
            401: error_response(
                "MfaLoginUnauthorized",
                "`invalid_mfa_code` (wrong or already used code) or `mfa_challenge_invalid` "
                "(forged, expired or used challenge: log in again).",
                "invalid_mfa_code",
                "mfa_challenge_invalid",
            ),
            429: TOO_MANY_CODES,
        },
    )
    def post(self, request: Request) -> Response:
        data = s.MfaLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, tokens = services.complete_mfa_login(**data.validated_data, request=request._request)
        return Response({**tokens, "user": s.AccountSerializer(account_for_user(user)).data})


class MfaEnrolmentView(APIView):
    """Enrolment works with a login (bearer token) or with a login's `mfa_enrolment_required`
    challenge, for staff who may not have tokens before they enrol."""

    permission_classes = [AllowAny]
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "second_factor"

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


ENROLMENT_UNAUTHORIZED = error_response(
    "MfaEnrolmentUnauthorized",
    "Neither logged in (a bearer token, if sent, was refused) nor a valid "
    "`mfa_enrolment_required` challenge.",
    "mfa_challenge_invalid",
    *ErrorCode401Enum.values,
)
ALREADY_ENROLLED = error_response(
    "MfaAlreadyEnrolled", "Two-factor sign-in is already set up.", "mfa_already_enrolled"
)


class MfaTotpStartView(MfaEnrolmentView):
    @extend_schema(
        summary="Start enrolling an authenticator app (TOTP)",
        description=(
            "Returns the provisioning URI, its QR code (SVG data URI) and the key in base32 "
            "for a new, unconfirmed device (replacing an unconfirmed one). Confirm it with its "
            "first code at `POST /auth/mfa/totp/confirm/`."
        ),
        tags=TAGS,
        request=s.MfaEnrolStartSerializer,
        responses={
            201: s.MfaProvisioningSerializer,
            401: ENROLMENT_UNAUTHORIZED,
            409: ALREADY_ENROLLED,
            429: error_response("MfaStartTooManyRequests", "Per client network.", "throttled"),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.MfaEnrolStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, _ = services.enrolling_user(
            user=request.user, challenge=data.validated_data.get("challenge")
        )
        provisioning = services.start_mfa_enrolment(user=user)
        return Response(provisioning, status=status.HTTP_201_CREATED)


class MfaTotpConfirmView(MfaEnrolmentView):
    @extend_schema(
        summary="Confirm the authenticator app with its first code",
        description=(
            "Turns two-factor sign-in on and returns ten one-time recovery codes, shown this "
            "once (stored hashed). Enrolling with a login's challenge also returns that "
            'login\'s tokens (`amr` `["pwd", "otp"]`). A wrong code counts as a failed login.'
        ),
        tags=TAGS,
        request=s.MfaEnrolConfirmSerializer,
        responses={
            200: s.MfaEnrolResultSerializer,
            401: ENROLMENT_UNAUTHORIZED,
            409: ALREADY_ENROLLED,
            429: TOO_MANY_CODES,
        },
    )
    def post(self, request: Request) -> Response:
        data = s.MfaEnrolConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, payload = services.enrolling_user(
            user=request.user, challenge=data.validated_data.get("challenge")
        )
        result = services.confirm_mfa_enrolment(
            user=user,
            code=data.validated_data["code"],
            request=request._request,
            challenge_payload=payload,
        )
        return Response(result)


class TokenRefreshView(PublicView):
    throttle_classes = []

    @extend_schema(
        summary="Refresh the token pair",
        description=(
            "Rotates the refresh token: only the newest refresh token of a login works, once. "
            "Presenting one that was already used (a replay, or the loser of two parallel "
            "refreshes) ends that login's session: every refresh and access token descended "
            "from it stops working (`refresh_token_reused`), and the user logs in again. "
            "Clients must not refresh in parallel."
        ),
        tags=TAGS,
        request=s.RefreshSerializer,
        responses={
            200: s.TokenPairSerializer,
            401: error_response(
                "RefreshUnauthorized",
                "Invalid, expired or revoked token, or a reused one (the session has ended).",
                "token_not_valid",
                "refresh_token_reused",
                "session_expired",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.rotate_refresh_token(raw=data.validated_data["refresh"]))


class LogoutView(APIView):
    @extend_schema(
        summary="Log out",
        description=(
            "Ends the session the refresh token belongs to: its refresh token and every access "
            "token of that login stop working at once. Other sessions of the user go on."
        ),
        tags=TAGS,
        request=s.RefreshSerializer,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        data = s.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.log_out(user=request.user, raw_refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicView):
    throttle_scope = "password_reset"

    @extend_schema(
        summary="Request a password reset",
        description="Always answers 202, whether or not an account has this email.",
        tags=TAGS,
        request=s.EmailInputSerializer,
        responses={202: ACCEPTED},
    )
    def post(self, request: Request) -> Response:
        data = s.EmailInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.request_password_reset(email=data.validated_data["email"])
        return Response(
            {"detail": "If an account has this email, a reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(PublicView):
    throttle_scope = "password_reset"

    @extend_schema(
        summary="Set a new password from a reset link",
        description="The link works once and expires. Every existing session is logged out.",
        tags=TAGS,
        request=s.PasswordResetConfirmSerializer,
        responses={200: s.DetailSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.confirm_password_reset(**data.validated_data)
        return Response({"detail": "Password changed. Log in with the new password."})


class PasswordChangeView(APIView):
    @extend_schema(
        summary="Change my password",
        description=(
            "Revokes every token issued before and returns a fresh pair. A wrong current "
            "password counts as a failed login for the account (lockout and backoff)."
        ),
        tags=TAGS,
        request=s.PasswordChangeSerializer,
        responses={
            200: s.TokenPairSerializer,
            429: error_response(
                "PasswordChangeTooManyRequests",
                "Too many wrong passwords: `account_locked` (for this account from this network) "
                "or `login_backoff` (for this account from anywhere). `Retry-After` gives the "
                "wait in seconds.",
                "account_locked",
                "login_backoff",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.change_password(
            user=request.user, **data.validated_data, request=request._request
        )
        return Response(tokens)


class MeView(APIView):
    @extend_schema(summary="My account", tags=TAGS, responses={200: s.AccountSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.AccountSerializer(account_for_user(request.user)).data)

    @extend_schema(
        summary="Update my account",
        tags=TAGS,
        request=s.AccountUpdateSerializer(partial=True),
        responses={200: s.AccountSerializer},
    )
    def patch(self, request: Request) -> Response:
        data = s.AccountUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.update_account(user=request.user, **data.validated_data)
        return Response(s.AccountSerializer(account_for_user(user)).data)

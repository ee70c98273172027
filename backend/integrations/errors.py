"""The integration clients' refusals. The token endpoint's codes are RFC 6749 §5.2's error
names (`invalid_client`, `unsupported_grant_type`, `invalid_scope`), in the one error shape
(docs/api-guide.md)."""

from rest_framework import status

from common.errors import ConflictError, DomainError


class InvalidClient(DomainError):
    """RFC 6749 §5.2: the client is unknown, revoked or expired, or its proof is wrong. One
    answer for all of them, so a caller learns nothing about which client ids exist."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "invalid_client"
    default_detail = "Client authentication failed."


class InsufficientScope(DomainError):
    """RFC 6750 §3.1: the token is valid but its scopes do not reach this endpoint."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "insufficient_scope"
    default_detail = "The integration client's scopes do not allow this request."


class ClientRevoked(ConflictError):
    """A revoked client stays revoked: it gets no new secret or keys (create a new one)."""

    default_code = "integration_client_revoked"
    default_detail = "This integration client is revoked; create a new one."


class PatientNotKnownToClinic(DomainError):
    """An integration books only for patients with an appointment history at its clinic: the
    minimum stand-in for the explicit consent the privacy issue brings."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "patient_not_known_to_clinic"
    default_detail = (
        "The patient has no appointment history with this clinic, so its integrations may not "
        "book for them."
    )

"""Who an integration client's request acts as: not a person, so it holds no role and no
guardian permission, and every selector that knows it scopes it to the client's clinic."""

from .models import IntegrationClient
from .scopes import grants


class IntegrationPrincipal:
    """`request.user` for a request made with an integration client's access token."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    # No user row stands behind it: `obj.patient.user_id == request.user.pk` is never true.
    pk = None
    id = None

    def __init__(self, client: IntegrationClient, scopes: frozenset[str]):
        self.client = client
        self.scopes = scopes

    @property
    def log_identity(self) -> str:
        """How the request log names the caller (common.request_log)."""
        return f"client:{self.client.pk}"

    @property
    def clinic_id(self):
        return self.client.clinic_id

    def may(self, scope: str) -> bool:
        return grants(self.scopes, scope)

    def has_role(self, role: str) -> bool:
        return False

    def has_perm(self, perm: str, obj=None) -> bool:
        return False

    def __str__(self) -> str:
        return f"integration client {self.client.pk}"


def is_integration_client(user) -> bool:
    return isinstance(user, IntegrationPrincipal)

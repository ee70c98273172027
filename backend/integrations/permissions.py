"""What an integration client's token reaches: the scope each view action names."""

from rest_framework.permissions import BasePermission

from common.integration_scopes import integration_scope

from .principal import is_integration_client


def required_scope(view, request) -> str | None:
    """The scope `view` asks of a client for this request (its `integration_scopes`, by action
    or by lower-case method), or None: the view does not take client tokens. The schema reads
    the same declaration (common.integration_scopes)."""
    return integration_scope(view, request.method)


class IsIntegrationClient(BasePermission):
    """The caller is an integration client (whose scope the authentication already checked
    against the view's `integration_scopes`); OR it with a view's person permissions."""

    message = "Only an integration client may do this."

    def has_permission(self, request, view) -> bool:
        return is_integration_client(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        # Objects come from selectors that scope a client to its clinic.
        return is_integration_client(request.user)

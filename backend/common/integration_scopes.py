"""How a view declares what an integration client needs to call it (docs/integrations.md).

A view lists the scope of each action in `integration_scopes` (action name for viewsets,
lower-case method for plain views). The client-token authentication (integrations) and the
schema (common.openapi, common.openapi_contract) read the same declaration through here."""


def integration_scope(view, method: str) -> str | None:
    """The scope an integration client needs for this operation, or None: it may not call it."""
    scopes = getattr(view, "integration_scopes", None) or {}
    return scopes.get(getattr(view, "action", None) or method.lower())

"""Every write an integration client makes goes to the audit log as that client."""

import uuid

from rest_framework.permissions import SAFE_METHODS

from .principal import is_integration_client
from .services import record_client_write


class IntegrationWriteAuditMiddleware:
    """After a client's successful write (a 2xx/3xx answer to anything but GET, HEAD or
    OPTIONS), an audit entry names the client, the object and the request. It is written
    right after the view's own transaction committed (docs/integrations.md, "Audit")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF puts the authenticated caller here
        if (
            is_integration_client(user)
            and request.method not in SAFE_METHODS
            and response.status_code < 400
        ):
            target_type, target_id = _target(request, response)
            record_client_write(
                client=user.client,
                target_type=target_type,
                target_id=target_id,
                method=request.method,
                path=request.path,
                status=response.status_code,
            )
        return response


def _target(request, response) -> tuple[str, uuid.UUID | None]:
    """The written object's kind and id: the URL's id, else the answer's `id`."""
    context = getattr(response, "renderer_context", None) or {}
    view = context.get("view")
    kind = getattr(getattr(view, "resource_type", None), "name", None)
    if kind is None and view is not None and getattr(view, "queryset", None) is None:
        try:
            kind = view.get_queryset().model._meta.model_name
        except (AttributeError, TypeError):
            kind = None
    kind = (kind or type(view).__name__ if view else "request").lower()
    kwargs = getattr(request, "resolver_match", None)
    candidates = [kwargs.kwargs.get("pk") if kwargs else None]
    data = getattr(response, "data", None)
    if isinstance(data, dict):
        candidates.append(data.get("id"))
    for candidate in candidates:
        try:
            return kind, uuid.UUID(str(candidate))
        except ValueError:
            continue
    return kind, None

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
    view = (getattr(response, "renderer_context", None) or {}).get("view")
    candidates = [request.resolver_match.kwargs.get("pk") if request.resolver_match else None]
    data = getattr(response, "data", None)
    if isinstance(data, dict):
        candidates.append(data.get("id"))
    for candidate in candidates:
        try:
            return _kind(view), uuid.UUID(str(candidate))
        except ValueError:
            continue
    return _kind(view), None


def _kind(view) -> str:
    """The model (or FHIR resource type) a view writes, lower-cased."""
    resource_type = getattr(view, "resource_type", None)  # the FHIR views
    if resource_type is not None:
        return resource_type.name.lower()
    try:
        return view.get_queryset().model._meta.model_name
    except AttributeError:
        return type(view).__name__.lower() if view is not None else "request"

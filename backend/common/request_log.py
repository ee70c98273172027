"""One log line and the metrics of each request, under a request id that follows the request
into the tasks it enqueues (taskqueue.backend) and comes back in `X-Request-ID`."""

import time

import structlog
from django.conf import settings
from django.db import connection
from django.utils.functional import SimpleLazyObject, empty

from . import metrics
from .client_ip import client_ip
from .logs import new_request_id, request_id_from_header
from .routes import route_template

logger = structlog.get_logger("careslot.request")


class RequestLogMiddleware:
    """Outermost: it times the whole answer, sees its final status and marks every response
    with the request id. The id comes from `X-Request-ID` only behind a trusted proxy (one
    that sets it); otherwise a client could choose the id our logs file its request under."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = None
        if settings.TRUSTED_PROXY_COUNT:
            request_id = request_id_from_header(request.headers.get("X-Request-ID"))
        request_id = request_id or new_request_id()
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        queries = _QueryCounter()
        started = time.perf_counter()
        try:
            with connection.execute_wrapper(queries):
                response = self.get_response(request)
            duration = time.perf_counter() - started
            response["X-Request-ID"] = request_id
            route = route_template(request)
            metrics.observe_request(
                method=request.method,
                route=route,
                status=response.status_code,
                duration=duration,
                queries=queries.count,
            )
            user_id, roles = _user_of(request)
            log = logger.error if response.status_code >= 500 else logger.info
            log(
                "request",
                method=request.method,
                route=route,
                status=response.status_code,
                duration_ms=round(duration * 1000, 2),
                db_queries=queries.count,
                user_id=user_id,
                roles=roles,
                client_ip=client_ip(request),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _user_of(request) -> tuple[str | None, list[str] | None]:
    """The user the view authenticated (DRF sets it on the Django request) and the roles its
    permission checks loaded; a session user nobody asked for is not looked up now."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None, None
    if not user.is_authenticated:
        return None, None
    # Not looked up for the log line alone (a query on every request): the permission checks
    # of every role-gated endpoint have loaded them; elsewhere (/auth/me/) they stay null.
    roles = getattr(user, "_role_cache", None)
    # An integration client is no user (docs/integrations.md): it names itself (`client:<id>`).
    identity = getattr(user, "log_identity", None) or str(user.pk)
    return identity, sorted(roles) if roles is not None else None

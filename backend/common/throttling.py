"""Throttles keyed on the client's network (common.client_ip.client_network: the /64 of an IPv6
address, an IPv4 address itself), the same key the login lockout counts against; a client that
rotates addresses inside its /64 shares one budget.

A throttled endpoint also tells the client where it stands (draft-ietf-httpapi-ratelimit-headers):
`RateLimit-Limit` (requests per window), `RateLimit-Remaining`, `RateLimit-Reset` (seconds until
the oldest counted request leaves the window) and `RateLimit-Policy` (`<limit>;w=<window>`), on
every answer, the 429 included (which DRF gives its `Retry-After`). The throttle records the
figures on the request; RateLimitHeadersMiddleware writes them on the response."""

import math

from rest_framework.throttling import ScopedRateThrottle

from . import metrics
from .cache_health import CACHE_ERRORS, cache_degraded
from .client_ip import client_network

RATE_LIMIT_ATTRIBUTE = "careslot_rate_limit"


class ClientScopedRateThrottle(ScopedRateThrottle):
    """DRF's ScopedRateThrottle, identifying anonymous callers by `client_network`."""

    def get_ident(self, request) -> str:
        return client_network(request) or "unknown"

    def allow_request(self, request, view) -> bool:
        try:
            allowed = super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            cache_degraded("throttle", exc)
            return True
        if not allowed:
            metrics.THROTTLED.labels(self.scope or "unscoped").inc()
        record_rate_limit(self, request)
        return allowed


def record_rate_limit(throttle, request) -> None:
    """Record `throttle`'s figures (after its `allow_request`) for RateLimitHeadersMiddleware."""
    if getattr(throttle, "rate", None) is None:
        return
    history = getattr(throttle, "history", [])
    oldest = history[-1] if history else throttle.timer()
    reset = max(0, math.ceil(oldest + throttle.duration - throttle.timer()))
    setattr(
        request._request,
        RATE_LIMIT_ATTRIBUTE,
        {
            "limit": throttle.num_requests,
            "remaining": max(0, throttle.num_requests - len(history)),
            "reset": reset,
            "window": throttle.duration,
        },
    )

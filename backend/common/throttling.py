"""Throttles keyed on common.client_ip, so every limit agrees with axes and the access logs."""

from rest_framework.throttling import ScopedRateThrottle

from . import metrics
from .client_ip import client_ip


class ClientScopedRateThrottle(ScopedRateThrottle):
    """DRF's ScopedRateThrottle, identifying anonymous callers by `client_ip`."""

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def allow_request(self, request, view) -> bool:
        allowed = super().allow_request(request, view)
        if not allowed:
            metrics.THROTTLED.labels(self.scope or "unscoped").inc()
        return allowed

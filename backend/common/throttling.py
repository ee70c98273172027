"""Throttles keyed on common.client_ip, so every limit agrees with axes and the access logs."""

from rest_framework.throttling import ScopedRateThrottle

from .client_ip import client_ip


class ClientScopedRateThrottle(ScopedRateThrottle):
    """DRF's ScopedRateThrottle, identifying anonymous callers by `client_ip`."""

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

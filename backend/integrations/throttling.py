"""The per-client rate limit: each client's `requests_per_minute`, counted by client id (not
by address: one client's servers may sit behind many), with the RateLimit headers of
common.throttling."""

from rest_framework.throttling import SimpleRateThrottle

from common import metrics
from common.throttling import record_rate_limit

from .principal import is_integration_client


class IntegrationClientThrottle(SimpleRateThrottle):
    """In DEFAULT_THROTTLE_CLASSES; lets every request that is not a client's through."""

    scope = "integration_client"
    integration_clients_only = True  # common.openapi documents its 429 where clients may call

    def get_rate(self) -> None:
        return None  # set per client in allow_request

    def allow_request(self, request, view) -> bool:
        if not is_integration_client(request.user):
            return True
        client = request.user.client
        self.rate = f"{client.requests_per_minute}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        allowed = super().allow_request(request, view)
        if not allowed:
            metrics.THROTTLED.labels(self.scope).inc()
            metrics.INTEGRATION_REQUESTS.labels(str(client.pk), "throttled").inc()
        record_rate_limit(self, request)
        return allowed

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.client.pk}

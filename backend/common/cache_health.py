"""What the API does when the shared cache (Redis) fails: each feature that keeps state there
degrades its own way, counts it (`careslot_cache_unavailable_total`) and logs it, and is back
as soon as a call to the cache succeeds again (django-redis reconnects per command).

- `throttle` fails open: requests are not rate-limited while the counters are out of reach.
  Refusing every login and booking would turn a cache outage into an API outage; passwords
  stay guarded by the login lockout, which counts failures in the database (django-axes).
- `login_backoff` fails open: the per-account backoff (accounts.backoff) waits for nobody while
  its counters are out of reach; the lockout per email and network, in the database, still holds.
- `replica_sticky` fails closed: a user's reads go to the primary, as if they had just written,
  since nobody can tell whether they did. The primary can serve every read; a read from a
  replica that has not caught up with the user's own write could not be undone.
"""

import logging

from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from . import metrics

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, ConnectionInterrupted, OSError)
FAILS = {
    "throttle": "open (not rate-limited)",
    "login_backoff": "open (no per-account backoff)",
    "replica_sticky": "closed (reads the primary)",
}


def cache_degraded(feature: str, exc: BaseException) -> None:
    metrics.CACHE_UNAVAILABLE.labels(feature).inc()
    logger.warning(
        "Cache unavailable (%s); %s fails %s until it answers",
        type(exc).__name__,
        feature,
        FAILS[feature],
    )

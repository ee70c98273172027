"""Exponential backoff per account on failed logins, whatever address they come from.

The lockout (django-axes) counts failures per email *and* client network, so a guesser who
spreads over many networks never meets it. This counts per email only: after
`LOGIN_BACKOFF_FREE_FAILURES` failures, each further failure makes the account wait
`LOGIN_BACKOFF_BASE_SECONDS` · 2ⁿ (n = failures past the free ones) before the next attempt is
even checked, never more than `LOGIN_BACKOFF_MAX_SECONDS`. An attempt during the wait is answered
`429 login_backoff` with `Retry-After` and checks no password, so it neither counts nor helps a
guesser. It is a delay, not a lock: the real user gets in at the end of the wait, and a
password reset (the mailed link proves the address) or a successful login clears it
(docs/security.md). The figures live in the shared cache (Redis), for every process; when the
cache is out of reach the backoff fails open and the lockout, kept in PostgreSQL, still holds.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from common.cache_health import CACHE_ERRORS, cache_degraded

from .models import normalize_email


def _keys(email: str) -> tuple[str, str]:
    digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
    return f"login-backoff:failures:{digest}", f"login-backoff:until:{digest}"


def wait_seconds(email: str) -> int:
    """How long the account must wait before its next login attempt is checked (0: now)."""
    _, until_key = _keys(email)
    try:
        until = cache.get(until_key)
    except CACHE_ERRORS as exc:
        cache_degraded("login_backoff", exc)
        return 0
    if until is None:
        return 0
    return max(0, math.ceil(until - time.time()))


def delay_after(failures: int) -> int:
    """The wait after the `failures`-th failure in a row (0 while within the free ones)."""
    past = failures - settings.LOGIN_BACKOFF_FREE_FAILURES
    if past < 0:
        return 0
    return min(
        settings.LOGIN_BACKOFF_BASE_SECONDS * 2 ** min(past, 32), settings.LOGIN_BACKOFF_MAX_SECONDS
    )


def record_failure(email: str) -> int:
    """Count a failed attempt for the account; returns the wait it now has (seconds)."""
    failures_key, until_key = _keys(email)
    memory = settings.LOGIN_BACKOFF_MEMORY_SECONDS
    try:
        cache.add(failures_key, 0, timeout=memory)
        failures = cache.incr(failures_key)
        cache.touch(failures_key, timeout=memory)
        delay = delay_after(failures)
        if delay:
            cache.set(until_key, time.time() + delay, timeout=delay + 1)
    except CACHE_ERRORS as exc:
        cache_degraded("login_backoff", exc)
        return 0
    return delay


def clear(email: str) -> None:
    """Forget the account's failures (a successful login, a password reset)."""
    try:
        cache.delete_many(list(_keys(email)))
    except CACHE_ERRORS as exc:
        cache_degraded("login_backoff", exc)

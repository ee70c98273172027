"""Production: refuses to start without SECRET_KEY or with a per-process cache, and passes
`check --deploy`."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, logging_settings

# One JSON object a line for the log collector (LOG_FORMAT=plain to read them by eye).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_settings(json=LOG_FORMAT == "json", level=env("LOG_LEVEL", default="INFO"))

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in production (DJANGO_SETTINGS_MODULE=config.settings.production)."
    )
# Throttle counters live in the cache. A per-process one multiplies every limit by the number of
# server processes, so only a deployment with a single process may opt in; a dummy one counts
# nothing at all.
CACHE_BACKEND = CACHES["default"]["BACKEND"]  # noqa: F405
if CACHE_BACKEND == "django.core.cache.backends.dummy.DummyCache":
    raise ImproperlyConfigured("A dummy cache turns every throttle off: set CACHE_URL.")
if CACHE_BACKEND == "django.core.cache.backends.locmem.LocMemCache" and not env.bool(
    "ALLOW_PER_PROCESS_CACHE", default=False
):
    raise ImproperlyConfigured(
        "Set CACHE_URL to a cache every server process shares (e.g. redis://redis:6379/0), or "
        "ALLOW_PER_PROCESS_CACHE=true for a deployment with a single server process."
    )
SIMPLE_JWT["SIGNING_KEY"] = env("JWT_SIGNING_KEY", default=SECRET_KEY)  # noqa: F405

DEBUG = False
# nosniff, X-Frame-Options DENY and the Referrer-Policy come from base (every environment).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

"""Test settings: PostgreSQL, fast hashing, in-memory email."""

from .base import *  # noqa: F403
from .base import env

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/careslot")
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite runs in one process; servers it starts in several share CACHE_URL (Redis).
CACHES = {"default": env.cache_url("TEST_CACHE_URL", default="locmemcache://")}
DEBUG = False
STATIC_ROOT = None  # nothing is collected in tests; keeps WhiteNoise from warning

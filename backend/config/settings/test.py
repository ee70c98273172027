"""Test settings: PostgreSQL, fast hashing, in-memory email."""

from .base import *  # noqa: F403
from .base import bounded_cache, env

INSTALLED_APPS = [*INSTALLED_APPS, *DEVTOOLS_APPS]  # noqa: F405

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/careslot")
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite runs in one process; servers it starts in several share CACHE_URL (Redis).
CACHES = {"default": bounded_cache(env.cache_url("TEST_CACHE_URL", default="locmemcache://"))}
DEBUG = False
# The suite's logins need no second factor unless a test requires one (tests/accounts/test_mfa.py);
# the harness may still set the variable.
MFA_REQUIRED_ROLES = frozenset(env.list("CARESLOT_MFA_REQUIRED_ROLES", default=[]))
STATIC_ROOT = None  # nothing is collected in tests; keeps WhiteNoise from warning
# A replica configured (DATABASE_REPLICA_URL), or a real one for tests/scaling
# (CARESLOT_TEST_REPLICA_URL): the `replica` alias mirrors the test database, so the suite runs
# the same with a replica or without; tests/scaling points it at the streaming replica.
if env("DATABASE_REPLICA_URL", default="") or env("CARESLOT_TEST_REPLICA_URL", default=""):
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

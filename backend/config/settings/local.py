"""Local development: `make run` serves this on the embedded SQLite file."""

from .base import *  # noqa: F403
from .base import env

INSTALLED_APPS = [*INSTALLED_APPS, *DEVTOOLS_APPS]  # noqa: F405

DEBUG = env.bool("DEBUG", default=True)
# `make run` serves /metrics to this machine alone.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=not DEBUG)

# The reports' covering index INCLUDEs columns PostgreSQL uses; SQLite ignores them, harmlessly.
# The report rollups' key (NULLS NOT DISTINCT) only matters where triggers fill them: SQLite has
# neither, and its reports read the appointments.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "models.W040", "models.W047"]  # noqa: F405

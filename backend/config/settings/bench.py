"""Production settings plus the bench tooling, for the load and restore drills that seed a
data set of their own (`make bench`, `make backup-check`); never for a deployment."""

from .production import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, *DEVTOOLS_APPS]  # noqa: F405

"""Local development: `make run` serves this on the embedded SQLite file."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)

"""Hypothesis profiles for the property tests; pick one with HYPOTHESIS_PROFILE.

- `default` (local runs): a few dozen examples per test, new ones each run.
- `ci`: fewer examples, derandomized (the same examples every run, so CI is reproducible and
  its time stays flat), no example database on disk.
- `thorough`: hundreds of examples, for a hunt before a release.

Every profile has no deadline (a request to PostgreSQL is not a unit of CPU time) and lets
tests share function-scoped fixtures (the `db` transaction) between examples."""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}

settings.register_profile("default", max_examples=40, **_COMMON)
settings.register_profile("ci", max_examples=25, derandomize=True, database=None, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)


def load() -> None:
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

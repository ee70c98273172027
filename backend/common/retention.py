"""Retention of operational data (docs/privacy.md): each app registers what it prunes and
after which setting's number of days; `manage.py prune_operational_data` runs them all. The
registry lives down here so that the command needs no import of the apps above."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class RetentionStep:
    name: str
    days_setting: str
    prune: Callable[..., int]  # prune(before=datetime) -> rows deleted


_STEPS: dict[str, RetentionStep] = {}


def register(name: str, *, days_setting: str, prune: Callable[..., int]) -> None:
    """Called from an app's `ready()`; registering a name again replaces it."""
    _STEPS[name] = RetentionStep(name, days_setting, prune)


def prune_operational_data() -> dict[str, int]:
    """Every registered step with the cutoff its setting gives, one transaction each; how many
    rows each deleted. Safe to run any time, and twice."""
    now = timezone.now()
    pruned = {}
    for step in _STEPS.values():
        before = now - timedelta(days=getattr(settings, step.days_setting))
        with transaction.atomic():
            pruned[step.name] = step.prune(before=before)
    return pruned

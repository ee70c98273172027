"""What /readyz checks: the database answers, every migration of this code is applied, and the
task workers keep up. Each problem is one entry of the error body."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder


@dataclass(frozen=True)
class QueueHealth:
    ready: int
    oldest_ready_age_seconds: float | None


# The task queue's health, read by the app that runs the queue (taskqueue.selectors, set when
# Django starts by taskqueue.apps): common imports no app.
_queue_health: Callable[[], QueueHealth] | None = None


def set_queue_health(read: Callable[[], QueueHealth]) -> None:
    global _queue_health
    _queue_health = read


@dataclass(frozen=True)
class Problem:
    code: str
    detail: str


@dataclass(frozen=True)
class Readiness:
    problems: list[Problem]
    applied_migrations: int = 0
    queue: QueueHealth | None = None


@cache
def migrations_on_disk() -> frozenset[tuple[str, str]]:
    """Every migration of the code this process runs; read once, the code does not change."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def unapplied_migrations() -> list[str]:
    applied = MigrationRecorder(connection).applied_migrations()
    return sorted(f"{app}.{name}" for app, name in migrations_on_disk() - applied.keys())


def readiness() -> Readiness:
    """Two small queries and the queue's one (taskqueue.selectors); nothing is written."""
    try:
        connection.ensure_connection()
        pending = unapplied_migrations()
    except DatabaseError:
        return Readiness([Problem("database_unavailable", "The database is unreachable.")])
    problems = []
    if pending:
        shown = ", ".join(pending[:5]) + (", ..." if len(pending) > 5 else "")
        detail = f"{len(pending)} migration(s) not applied: {shown}. Run `manage.py migrate`."
        problems.append(Problem("migrations_pending", detail))
    if _queue_health is None:
        return Readiness(problems, applied_migrations=len(migrations_on_disk()) - len(pending))
    try:
        health = _queue_health()
    except DatabaseError:
        if pending:  # the queue's own table may be what is missing
            return Readiness(problems)
        return Readiness([Problem("database_unavailable", "The database is unreachable.")])
    age, limit = health.oldest_ready_age_seconds, settings.TASK_HEALTH_MAX_LAG_SECONDS
    if age is not None and age > limit:
        detail = (
            f"The oldest ready task has waited {age:.0f} s (limit {limit} s); "
            f"{health.ready} task(s) are ready. Are the workers running?"
        )
        problems.append(Problem("tasks_lagging", detail))
    applied = len(migrations_on_disk()) - len(pending)
    return Readiness(problems, applied_migrations=applied, queue=health)

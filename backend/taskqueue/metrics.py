"""The task queue's figures at scrape time, added to /metrics (common.metrics.exposition)."""

from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily

from .selectors import failed_tasks, queue_health


class TaskQueueCollector:
    """The task queue as the database holds it at scrape time."""

    def collect(self):
        try:
            health = queue_health()
            failed = failed_tasks().count()
        except DatabaseError:
            return
        yield GaugeMetricFamily(
            "careslot_task_queue_depth", "Tasks ready to run now", value=health.ready
        )
        yield GaugeMetricFamily(
            "careslot_task_oldest_ready_age_seconds",
            "How long the oldest ready task has waited (0 when none waits)",
            value=health.oldest_ready_age_seconds or 0.0,
        )
        yield GaugeMetricFamily(
            "careslot_tasks_failed",
            "Tasks that gave up (FAILED) and wait for an admin",
            value=failed,
        )

from django.apps import AppConfig


class TaskQueueConfig(AppConfig):
    name = "taskqueue"
    verbose_name = "Task queue"

    def ready(self) -> None:
        # common stands below every app: /readyz and /metrics learn of the queue from here.
        from common import metrics, readiness

        from .metrics import TaskQueueCollector
        from .selectors import queue_health

        readiness.set_queue_health(queue_health)
        metrics.add_scrape_collector(TaskQueueCollector())

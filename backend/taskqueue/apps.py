from django.apps import AppConfig


class TaskQueueConfig(AppConfig):
    name = "taskqueue"
    verbose_name = "Task queue"

    def ready(self) -> None:
        # common stands below every app: /readyz and /metrics learn of the queue from here.
        from common import metrics, readiness, retention

        from .metrics import TaskQueueCollector
        from .selectors import queue_health
        from .services import prune_failed_tasks, prune_succeeded_tasks

        readiness.set_queue_health(queue_health)
        metrics.add_scrape_collector(TaskQueueCollector())
        retention.register(
            "task_results", days_setting="TASK_RESULT_RETENTION_DAYS", prune=prune_succeeded_tasks
        )
        retention.register(
            "failed_task_results",
            days_setting="FAILED_TASK_RETENTION_DAYS",
            prune=prune_failed_tasks,
        )

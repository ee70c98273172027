from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from . import retention
        from .retention import prune_failed_tasks, prune_succeeded_tasks
        from .tracing import configure_tracing

        configure_tracing()
        retention.register(
            "task_results", days_setting="TASK_RESULT_RETENTION_DAYS", prune=prune_succeeded_tasks
        )
        retention.register(
            "failed_task_results",
            days_setting="FAILED_TASK_RETENTION_DAYS",
            prune=prune_failed_tasks,
        )

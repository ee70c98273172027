from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from common.retention import register

        from .retention import prune_ended_holds

        register("slot_holds", days_setting="SLOT_HOLD_RETENTION_DAYS", prune=prune_ended_holds)

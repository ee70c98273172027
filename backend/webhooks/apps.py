from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outgoing webhooks"

    def ready(self) -> None:
        from common.retention import register

        from . import receivers  # noqa: F401 - connects the receivers of the lower apps' signals
        from .retention import prune_webhook_deliveries

        register(
            "webhook_deliveries",
            days_setting="WEBHOOK_DELIVERY_RETENTION_DAYS",
            prune=prune_webhook_deliveries,
        )

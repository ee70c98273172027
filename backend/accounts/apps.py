from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from common.retention import register

        from .retention import prune_login_events

        register(
            "login_events", days_setting="LOGIN_EVENT_RETENTION_DAYS", prune=prune_login_events
        )

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The admin action log: low enough in the layers that every app may write to it."""

    name = "audit"
    verbose_name = "Audit"

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Clinic integrations (OAuth 2.0 client credentials)"

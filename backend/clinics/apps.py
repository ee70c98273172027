from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = "Clinics"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - answers accounts.mfa.mfa_requirement

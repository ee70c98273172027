from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    """Signing up as a patient or a doctor: the account and its profile in one step."""

    name = "registration"
    verbose_name = "Registration"

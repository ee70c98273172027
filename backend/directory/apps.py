from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """The doctor directory patients search: it reads across doctors, clinics and slots, so
    it sits above all three."""

    name = "directory"
    verbose_name = "Directory"

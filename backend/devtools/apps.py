from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Developer tooling, not product: demo data (`seed_demo`), the platform-scale data set
    (`seed_scale`) and the load scenarios behind `make bench` / `make explain`."""

    name = "devtools"
    verbose_name = "Developer tools"

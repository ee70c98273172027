from django.contrib.admin.apps import AdminConfig


class CareSlotAdminConfig(AdminConfig):
    """django.contrib.admin with the second-factor site as the default `admin.site`."""

    default_site = "config.admin_site.CareSlotAdminSite"

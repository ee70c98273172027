import django_filters

from .models import IntegrationClient


class IntegrationClientFilter(django_filters.FilterSet):
    class Meta:
        model = IntegrationClient
        fields = ["clinic"]

import django_filters
from django.db.models import Q

from .models import Gender, Patient


class PatientFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, label="Name or email"
    )
    gender = django_filters.ChoiceFilter(choices=Gender.choices)
    is_active = django_filters.BooleanFilter(field_name="user__is_active")

    class Meta:
        model = Patient
        fields = ["search", "gender", "is_active"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(user__first_name__icontains=value)
            | Q(user__last_name__icontains=value)
            | Q(user__email__icontains=value)
        )

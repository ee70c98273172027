import django_filters
from django.db.models import Q

from accounts.models import Role, User
from audit.models import AdminAction, AdminActionLog


class UserFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, help_text="Name or email"
    )
    role = django_filters.ChoiceFilter(choices=Role.choices, field_name="roles__role")
    is_active = django_filters.BooleanFilter()
    email_confirmed = django_filters.BooleanFilter(
        field_name="email_confirmed_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = User
        fields = ["search", "role", "is_active", "email_confirmed"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(email__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        )


class AdminActionFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=AdminAction.choices)
    actor = django_filters.UUIDFilter(field_name="actor_id")
    target_id = django_filters.UUIDFilter()

    class Meta:
        model = AdminActionLog
        fields = ["action", "actor", "target_id"]

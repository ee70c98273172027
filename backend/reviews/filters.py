import django_filters

from common.filters import StrictBooleanFilter

from .models import Review


class ReviewFilter(django_filters.FilterSet):
    # A UUID, not a ModelChoiceFilter: an unknown or unlisted doctor gives an empty page
    # rather than a 400 that would tell which doctor ids exist.
    doctor = django_filters.UUIDFilter(field_name="doctor_id", help_text="The doctor's id")
    rating = django_filters.NumberFilter(min_value=1, max_value=5)
    min_rating = django_filters.NumberFilter(
        field_name="rating", lookup_expr="gte", min_value=1, max_value=5
    )
    is_hidden = StrictBooleanFilter(
        help_text=(
            "Hidden reviews: platform admins see all, others only their own. The doctor list "
            "shows visible reviews unless this is given."
        ),
    )

    class Meta:
        model = Review
        fields = ["doctor", "rating", "min_rating", "is_hidden"]

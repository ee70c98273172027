import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from clinics.models import Clinic, DoctorClinicAssociation
from doctors.models import LANGUAGE_CHOICES, Doctor, Specialty
from scheduling.models import Modality, VisitType
from scheduling.selectors import offers_a_fitting_type

from .selectors import with_next_slot


class DoctorFilter(django_filters.FilterSet):
    specialty = django_filters.ModelChoiceFilter(
        queryset=Specialty.objects.all(), to_field_name="slug", help_text="Specialty slug"
    )
    clinic = django_filters.ModelChoiceFilter(
        queryset=Clinic.objects.filter(is_active=True),
        method="filter_clinic",
        help_text="Works at this clinic (id)",
    )
    city = django_filters.CharFilter(
        method="filter_city", max_length=100, help_text="Works at a clinic in this city"
    )
    language = django_filters.ChoiceFilter(
        choices=LANGUAGE_CHOICES, method="filter_language", help_text="ISO 639-1 code"
    )
    min_rating = django_filters.NumberFilter(
        field_name="average_rating", lookup_expr="gte", min_value=1, max_value=5
    )
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, help_text="Part of the doctor's name"
    )
    visit_type = django_filters.ModelChoiceFilter(
        queryset=VisitType.objects.filter(is_active=True),
        method="_defer_visit_type",
        help_text="next_available is the first slot this visit type can be booked in",
    )
    modality = django_filters.ChoiceFilter(
        choices=Modality.choices,
        method="_defer_offer",
        help_text="next_available is the first slot with a visit type of this modality",
    )
    new_patients = django_filters.BooleanFilter(
        method="_defer_offer",
        help_text="true: next_available is the first slot with a type open to new patients",
    )
    is_confirmed = django_filters.BooleanFilter(help_text="Platform admins: unconfirmed doctors")
    is_rejected = django_filters.BooleanFilter(
        field_name="rejected_at", lookup_expr="isnull", exclude=True, help_text="Platform admins"
    )

    class Meta:
        model = Doctor
        fields = [
            "specialty",
            "clinic",
            "city",
            "language",
            "min_rating",
            "search",
            "visit_type",
            "modality",
            "new_patients",
            "is_confirmed",
            "is_rejected",
        ]

    def _defer_offer(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    @extend_schema_field(OpenApiTypes.UUID)
    def _defer_visit_type(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        offer = {
            "visit_type": data.get("visit_type"),
            "modality": data.get("modality") or "",
            "new_patients": data.get("new_patients"),
        }
        if offer["visit_type"] is None and not offer["modality"] and offer["new_patients"] is None:
            return queryset
        return with_next_slot(queryset, offers_a_fitting_type(**offer))

    @staticmethod
    def _works_at(**clinic_filter):
        return Exists(
            DoctorClinicAssociation.objects.filter(
                doctor=OuterRef("pk"), is_active=True, clinic__is_active=True, **clinic_filter
            )
        )

    @extend_schema_field(OpenApiTypes.UUID)
    def filter_clinic(self, queryset, name, value):
        return queryset.filter(self._works_at(clinic=value))

    def filter_city(self, queryset, name, value):
        return queryset.filter(self._works_at(clinic__city__iexact=value.strip()))

    def filter_language(self, queryset, name, value):
        return queryset.filter(languages__language=value)

    def filter_search(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
        return queryset.filter(condition)

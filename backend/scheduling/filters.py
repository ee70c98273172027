import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from clinics.models import Clinic
from common.filters import TimeWindowFilterSet
from doctors.models import Doctor, Specialty

from .models import Modality, Slot, SlotStatus, VisitType
from .selectors import offers_a_fitting_type


class SlotSearchFilter(TimeWindowFilterSet):
    doctor = django_filters.ModelChoiceFilter(queryset=Doctor.objects.all())
    clinic = django_filters.ModelChoiceFilter(queryset=Clinic.objects.all())
    specialty = django_filters.ModelChoiceFilter(
        field_name="doctor__specialty",
        queryset=Specialty.objects.all(),
        to_field_name="slug",
        help_text="Specialty slug",
    )
    city = django_filters.CharFilter(
        field_name="clinic__city", lookup_expr="iexact", max_length=100
    )
    visit_type = django_filters.ModelChoiceFilter(
        queryset=VisitType.objects.filter(is_active=True),
        method="_defer_visit_type",
        help_text=(
            "Only slots this visit type can be booked in: its doctor or clinic, long enough, "
            "within its notice and horizon, and free of other visits' buffers"
        ),
    )
    modality = django_filters.ChoiceFilter(
        choices=Modality.choices,
        method="_defer_offer",
        help_text="Only slots where the doctor offers a visit type of this modality",
    )
    new_patients = django_filters.BooleanFilter(
        method="_defer_offer",
        help_text="true: only slots where the doctor offers a visit type open to new patients",
    )

    class Meta:
        model = Slot
        fields = ["doctor", "clinic", "specialty", "city"]

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
        return queryset.filter(offers_a_fitting_type(**offer))


class ManagedSlotFilter(SlotSearchFilter):
    status = django_filters.ChoiceFilter(choices=SlotStatus.choices)

    class Meta:
        model = Slot
        fields = ["doctor", "clinic", "specialty", "city", "status"]


class VisitTypeFilter(django_filters.FilterSet):
    doctor = django_filters.ModelChoiceFilter(queryset=Doctor.objects.all())
    clinic = django_filters.ModelChoiceFilter(queryset=Clinic.objects.all())
    modality = django_filters.ChoiceFilter(choices=Modality.choices)

    class Meta:
        model = VisitType
        fields = ["doctor", "clinic", "modality"]

import django_filters

from clinics.models import Clinic
from common.filters import TimeWindowFilterSet
from doctors.models import Doctor, Specialty

from .models import Modality, Slot, SlotStatus, VisitType


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

    class Meta:
        model = Slot
        fields = ["doctor", "clinic", "specialty", "city"]


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

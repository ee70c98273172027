import django_filters
from django.utils import timezone

from clinics.models import Clinic
from common.filters import TimeWindowFilterSet
from doctors.models import Doctor

from .models import Appointment, AppointmentStatus


class AppointmentFilter(TimeWindowFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    when = django_filters.ChoiceFilter(
        choices=[("upcoming", "upcoming"), ("past", "past")],
        method="filter_when",
        help_text="upcoming: not started yet; past: started already",
    )
    doctor = django_filters.ModelChoiceFilter(queryset=Doctor.objects.all())
    clinic = django_filters.ModelChoiceFilter(queryset=Clinic.objects.all())
    # Not a ModelChoiceFilter: an unknown id would be a 400 and a known one with nothing visible
    # a 200, which tells anyone which patient ids exist. Both are an empty page.
    patient = django_filters.UUIDFilter(field_name="patient", help_text="A patient's id")

    class Meta:
        model = Appointment
        fields = ["status", "when", "doctor", "clinic", "patient"]

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        return (
            queryset.filter(start__gte=now)
            if value == "upcoming"
            else queryset.filter(start__lt=now)
        )

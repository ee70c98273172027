import django_filters
from django.utils import timezone

from clinics.models import Clinic
from common.filters import TimeWindowFilterSet
from doctors.models import Doctor
from patients.models import Patient

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
    patient = django_filters.ModelChoiceFilter(queryset=Patient.objects.all())

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

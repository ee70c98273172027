import django_filters

from doctors.models import Doctor

from .models import Clinic, DoctorClinicAssociation


class ClinicFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(lookup_expr="iexact", max_length=100)
    country = django_filters.CharFilter(lookup_expr="iexact", max_length=2)
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100)
    is_active = django_filters.BooleanFilter(help_text="Platform admins: inactive clinics too")

    class Meta:
        model = Clinic
        fields = ["city", "country", "search", "is_active"]


class AssociationFilter(django_filters.FilterSet):
    doctor = django_filters.ModelChoiceFilter(queryset=Doctor.objects.all())
    clinic = django_filters.ModelChoiceFilter(queryset=Clinic.objects.all())
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = DoctorClinicAssociation
        fields = ["doctor", "clinic", "is_active"]

import django_filters

from patients.models import Patient

from .models import PointsKind, PointsTransaction


class PointsTransactionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PointsKind.choices)
    patient = django_filters.ModelChoiceFilter(
        queryset=Patient.objects.all(), help_text="Platform admins: one patient's ledger"
    )

    class Meta:
        model = PointsTransaction
        fields = ["kind", "patient"]

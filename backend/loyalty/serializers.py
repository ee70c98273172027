from rest_framework import serializers

from common.fields import StrictCharField, StrictIntegerField, StrictModelSerializer
from patients.models import Patient

from .models import PointsTransaction


class BalanceSerializer(serializers.Serializer):
    balance = StrictIntegerField()
    points_for_free_booking = StrictIntegerField()
    points_per_completed_appointment = StrictIntegerField()


class PointsTransactionSerializer(StrictModelSerializer):
    class Meta:
        model = PointsTransaction
        fields = ["id", "patient", "kind", "amount", "appointment", "reason", "created_at"]
        read_only_fields = fields


class AdjustmentSerializer(serializers.Serializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    amount = StrictIntegerField(min_value=-100_000, max_value=100_000)
    reason = StrictCharField(max_length=500)

    def validate_amount(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("An adjustment cannot be zero.", code="zero_amount")
        return value

from rest_framework import serializers

from patients.models import Patient

from .models import PointsTransaction


class BalanceSerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    points_for_free_booking = serializers.IntegerField()
    points_per_completed_appointment = serializers.IntegerField()


class PointsTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsTransaction
        fields = ["id", "patient", "kind", "amount", "appointment", "reason", "created_at"]
        read_only_fields = fields


class AdjustmentSerializer(serializers.Serializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    amount = serializers.IntegerField(min_value=-100_000, max_value=100_000)
    reason = serializers.CharField(max_length=500)

    def validate_amount(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("An adjustment cannot be zero.", code="zero_amount")
        return value

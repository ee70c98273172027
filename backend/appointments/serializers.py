from zoneinfo import ZoneInfo

from rest_framework import serializers

from scheduling.models import Slot

from .models import Appointment


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")


class AppointmentDoctorSerializer(PersonSerializer):
    specialty = serializers.CharField(source="specialty.name")


class AppointmentClinicSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    timezone = serializers.CharField()


class AppointmentSerializer(serializers.ModelSerializer):
    patient = PersonSerializer()
    doctor = AppointmentDoctorSerializer()
    clinic = AppointmentClinicSerializer()
    start_local = serializers.SerializerMethodField(help_text="Start in the clinic's time zone")
    cancelled_by = serializers.UUIDField(source="cancelled_by_id", allow_null=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "status",
            "patient",
            "doctor",
            "clinic",
            "slot",
            "start",
            "end",
            "start_local",
            "notes",
            "cancelled_by",
            "cancelled_at",
            "cancellation_reason",
            "consultation_fee",
            "transaction_fee",
            "total_amount",
            "currency",
            "payment_status",
            "created_at",
        ]
        read_only_fields = fields

    def get_start_local(self, appointment: Appointment) -> str:
        return appointment.start.astimezone(ZoneInfo(appointment.clinic.timezone)).isoformat()


class BookingSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=Slot.objects.all())
    notes = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

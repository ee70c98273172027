from zoneinfo import ZoneInfo

from rest_framework import serializers

from common.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictUUIDField,
)
from scheduling.models import Modality, Slot

from .models import Appointment, CancellationCause, PaymentEvent, PaymentStatus
from .video import video_join_url


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = StrictCharField(source="user.first_name")
    last_name = StrictCharField(source="user.last_name")


class BookerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = StrictCharField()
    last_name = StrictCharField()


class AppointmentDoctorSerializer(PersonSerializer):
    specialty = StrictCharField(source="specialty.name")


class AppointmentClinicSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    address = StrictCharField()
    city = StrictCharField()
    timezone = StrictCharField()


class ProposedSlotSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    clinic = serializers.UUIDField(source="clinic_id")


class AppointmentVisitTypeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    reason_code = StrictCharField()
    duration_minutes = StrictIntegerField()


class AppointmentSerializer(StrictModelSerializer):
    patient = PersonSerializer()
    doctor = AppointmentDoctorSerializer()
    clinic = AppointmentClinicSerializer()
    start_local = serializers.SerializerMethodField(help_text="Start in the clinic's time zone")
    cancelled_by = serializers.UUIDField(source="cancelled_by_id", allow_null=True)
    booked_by = BookerSerializer(
        allow_null=True,
        help_text="Who made the booking: the patient, or the guardian of a dependent "
        "(docs/families.md); null when a clinic's integration booked it.",
    )
    cancellation_cause = serializers.ChoiceField(
        choices=CancellationCause.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why it was cancelled; empty while it is not cancelled.",
    )
    proposed_slot = ProposedSlotSerializer(
        allow_null=True,
        help_text="The doctor's pending proposal of a new time, if any (accept or decline it)",
    )
    sequence = StrictIntegerField(
        help_text="Bumped by every reschedule and cancellation (the calendar event's SEQUENCE)"
    )
    visit_type = AppointmentVisitTypeSerializer(
        allow_null=True, help_text="The visit type booked; null for a plain slot booking"
    )
    modality = serializers.ChoiceField(choices=Modality.choices, read_only=True)
    join_url = serializers.SerializerMethodField(
        help_text=(
            "Video visits: the link to join, shown only to the patient and the doctor (null "
            "for anyone else and for other modalities)"
        )
    )
    phone_number = StrictCharField(
        read_only=True, help_text="Phone visits: the number to call; empty otherwise"
    )

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
            "booked_by",
            "cancelled_by",
            "cancelled_at",
            "cancellation_reason",
            "cancellation_cause",
            "consultation_fee",
            "transaction_fee",
            "total_amount",
            "currency",
            "payment_status",
            "points_used",
            "sequence",
            "proposed_slot",
            "proposed_at",
            "visit_type",
            "modality",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "join_url",
            "phone_number",
            "created_at",
        ]
        read_only_fields = fields

    def get_join_url(self, appointment: Appointment) -> str | None:
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        parties = (appointment.patient.user_id, appointment.doctor.user_id)
        if viewer is None or viewer.pk not in parties:
            return None
        return video_join_url(appointment)

    def get_start_local(self, appointment: Appointment) -> str:
        return appointment.start.astimezone(ZoneInfo(appointment.clinic.timezone)).isoformat()


class BookingSerializer(serializers.Serializer):
    # Looked up (and locked) by the booking service: a slot that does not exist is a 400 on
    # this field from there, without a query of its own on every booking.
    slot = StrictUUIDField(error_messages={"does_not_exist": "No slot has this id."})
    patient = StrictUUIDField(
        required=False,
        help_text="Book for one of your dependents (`GET /dependents/`); yourself if left out.",
    )
    notes = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)
    use_points = StrictBooleanField(
        required=False,
        default=False,
        help_text="Pay with POINTS_FOR_FREE_BOOKING points: the payment status becomes waived.",
    )
    visit_type = StrictUUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "The visit type booked (GET /visit-types/): its length (from the slot's start), "
            "buffers, modality and price. Without, the visit takes the whole slot at the "
            "doctor's fee."
        ),
    )


class RescheduleSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(
        queryset=Slot.objects.all(), help_text="The free slot to move the appointment to"
    )


class CancelSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, default="", allow_blank=True)


class PaymentEventSerializer(StrictModelSerializer):
    class Meta:
        model = PaymentEvent
        fields = [
            "from_status",
            "to_status",
            "amount",
            "currency",
            "reference",
            "source",
            "created_at",
        ]
        read_only_fields = fields


class PaymentSerializer(StrictModelSerializer):
    appointment = serializers.UUIDField(source="id")
    events = PaymentEventSerializer(source="payment_events", many=True)

    class Meta:
        model = Appointment
        fields = [
            "appointment",
            "payment_status",
            "consultation_fee",
            "transaction_fee",
            "total_amount",
            "currency",
            "points_used",
            "events",
        ]
        read_only_fields = fields


class PaymentUpdateSerializer(serializers.Serializer):
    payment_status = serializers.ChoiceField(
        choices=[(PaymentStatus.PAID, "paid"), (PaymentStatus.REFUNDED, "refunded")]
    )
    reference = StrictCharField(max_length=255, help_text="Receipt or provider reference")


class WebhookPaymentDataSerializer(serializers.Serializer):
    appointment_id = serializers.UUIDField()
    amount = StrictDecimalField(max_digits=10, decimal_places=2)
    currency = StrictCharField(max_length=3)
    reference = StrictCharField(max_length=255, required=False, default="", allow_blank=True)


class WebhookEventSerializer(serializers.Serializer):
    id = StrictCharField(max_length=255, help_text="The provider's event id (idempotency)")
    type = serializers.ChoiceField(choices=[("payment.succeeded", "payment.succeeded")])
    data = WebhookPaymentDataSerializer()


class WebhookResultSerializer(serializers.Serializer):
    event_id = StrictCharField()
    processed = StrictBooleanField(help_text="false when this event id was already handled")
    appointment = serializers.UUIDField()
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices)

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import any_role
from common.errors import field_error
from common.schema import error_response
from common.serializers import UUID_PATTERN
from integrations.permissions import IsIntegrationClient
from integrations.principal import is_integration_client
from integrations.scopes import Scope
from patients.permissions import patients_acted_for_by

from . import services
from .filters import AppointmentFilter
from .models import AppointmentStatus
from .payments import change_payment_status
from .permissions import (
    CanCancelAppointment,
    CanDeclineProposal,
    CanProposeReschedule,
    CanRecordPayment,
    CanReschedule,
    IsAppointmentDoctor,
    IsAppointmentPatient,
)
from .selectors import appointments_visible_to
from .serializers import (
    AppointmentSerializer,
    BookingSerializer,
    CancelSerializer,
    PaymentSerializer,
    PaymentUpdateSerializer,
    RescheduleSerializer,
)

TAGS = ["appointments"]
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (e.g. a UUID). Retrying with the same key and body returns the first "
        "booking (200) instead of booking twice; the same key with another body is a 422."
    ),
)
TRANSITION_CONFLICT = error_response(
    "AppointmentTransitionConflict",
    "The appointment's state does not allow this.",
    "invalid_transition",
    "appointment_started",
    "appointment_not_started",
    "cancellation_window_closed",
)
RESCHEDULE_CONFLICT = error_response(
    "RescheduleConflict",
    "The appointment cannot move, or not to this slot; nothing changed.",
    "slot_unavailable",
    "slot_held",
    "slot_in_past",
    "patient_overlap",
    "paid_fee_mismatch",
    "paid_clinic_change",
    "patient_consent_required",
    "invalid_transition",
    "appointment_started",
    "cancellation_window_closed",
)
RESCHEDULE_EXAMPLE = OpenApiExample(
    "Move to another slot",
    value={"slot": "5b0f3a52-8d7e-4c1e-9a57-0c3c1f6f2a10"},
    request_only=True,
)
IsPatient = any_role(Role.PATIENT)
IsDoctor = any_role(Role.DOCTOR)


def _patient_booked_for(user, patient_id):
    """The caller's own profile or a dependent's; anyone else's is a 400 on `patient`, as if
    it did not exist (docs/families.md)."""
    patient = patients_acted_for_by(user).filter(pk=patient_id).first()
    if patient is None:
        raise field_error(
            "patient", "You book only for yourself and your dependents.", code="does_not_exist"
        )
    return patient


@extend_schema_view(
    list=extend_schema(
        summary="List appointments",
        description=(
            "Patients see their own, doctors theirs, clinic admins their clinics', platform "
            "admins all. `when=upcoming|past`; `date`/`date_from`/`date_to` are whole days in "
            "the `tz` time zone (a doctor's day: `?date=2026-11-25&tz=Europe/Berlin`)."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get an appointment", tags=TAGS),
)
class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # A booking with an Idempotency-Key may run twice (common.middleware): the second run
    # returns the first one's appointment.
    # A reschedule is idempotent by its target (asking again for the slot it holds is a no-op).
    idempotent_actions = {"create", "reschedule"}
    serializer_class = AppointmentSerializer
    permission_classes = [IsAuthenticated]
    # An integration client reads and cancels its clinic's appointments (the selector scopes
    # it); booking for a patient goes through FHIR (docs/integrations.md).
    integration_scopes = {
        "list": Scope.APPOINTMENTS_READ,
        "retrieve": Scope.APPOINTMENTS_READ,
        "cancel": Scope.APPOINTMENTS_WRITE,
    }
    filterset_class = AppointmentFilter
    ordering_fields = ["start", "created_at"]
    ordering = ["start"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return appointments_visible_to(self.request.user)

    def get_permissions(self):
        extra = {
            "create": [IsPatient()],
            "cancel": [(CanCancelAppointment | IsIntegrationClient)()],
            "reschedule": [CanReschedule()],
            "propose_reschedule": [CanProposeReschedule()],
            "accept_proposal": [IsAppointmentPatient()],
            "decline_proposal": [CanDeclineProposal()],
            "record_payment": [CanRecordPayment()],
            "complete": [IsDoctor(), IsAppointmentDoctor()],
            "no_show": [IsDoctor(), IsAppointmentDoctor()],
        }.get(self.action, [])
        return [IsAuthenticated(), *extra]

    @extend_schema(
        summary="Book a slot",
        description=(
            "Creates the appointment and marks the slot booked in one transaction. Of two "
            "patients racing for a slot exactly one wins; the other gets 409 `slot_unavailable`. "
            "A slot someone else holds (`POST /slots/{id}/hold/`) gives 409 `slot_held`; the "
            "holder books it here and the hold ends. With `visit_type` the visit takes the "
            "type's length from the slot's start, its buffers, modality and price; a booking "
            "whose time with buffers overlaps another booked visit of the doctor is refused "
            "(409 `slot_unavailable`). A guardian books for a dependent with "
            "`patient` (docs/families.md); the appointment's `booked_by` names who booked."
        ),
        tags=TAGS,
        parameters=[IDEMPOTENCY_KEY],
        request=BookingSerializer,
        responses={
            201: AppointmentSerializer,
            200: OpenApiResponse(AppointmentSerializer, description="Idempotent replay"),
            409: error_response(
                "BookingConflict",
                "The slot is taken or past, or you have an overlapping appointment.",
                "slot_unavailable",
                "slot_held",
                "slot_in_past",
                "patient_overlap",
                "insufficient_points",
                "too_many_active_bookings",
                "booking_churn_limit",
            ),
            422: error_response(
                "BookingIdempotencyConflict",
                "The Idempotency-Key was used with another body.",
                "idempotency_key_reused",
            ),
        },
    )
    def create(self, request: Request) -> Response:
        data = BookingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key and len(key) > 255:
            raise ValidationError(
                {"Idempotency-Key": ["At most 255 characters."]}, code="max_length"
            )
        booking = data.validated_data
        whom = {"user": request.user}
        if "patient" in booking:
            whom = {"patient": _patient_booked_for(request.user, booking["patient"])}
        try:
            result = services.book_appointment(
                **whom,
                booked_by=request.user,
                slot_id=booking["slot"],
                notes=booking["notes"],
                use_points=booking["use_points"],
                idempotency_key=key,
                visit_type_id=booking["visit_type"],
            )
        except services.UnknownSlot as unknown:
            raise field_error("slot", str(unknown.detail), code="does_not_exist") from None
        if not result.created:
            return Response(self._fresh(result.appointment), status=status.HTTP_200_OK)
        return Response(
            AppointmentSerializer(result.appointment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Cancel an appointment",
        description=(
            "Patients up to CANCELLATION_CUTOFF_HOURS (24 by default) before the start; the "
            "doctor and the clinic's admins until the start. The slot becomes bookable again "
            "and the other party is emailed."
        ),
        tags=TAGS,
        request=CancelSerializer,
        responses={200: AppointmentSerializer, 409: TRANSITION_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.cancel_appointment(
            appointment=self.get_object(),
            cancelled_by=None if is_integration_client(request.user) else request.user,
            reason=data.validated_data["reason"],
        )
        # The service returns the locked row with the relations the serializer reads.
        return Response(AppointmentSerializer(appointment, context={"request": request}).data)

    @extend_schema(
        summary="Reschedule an appointment to another free slot",
        description=(
            "In one transaction the appointment moves to `slot` and its old slot becomes "
            "bookable again; it keeps its id, payment, points and history. The patient may do "
            "it up to CANCELLATION_CUTOFF_HOURS before the start (as cancelling), the clinic's "
            "admins until the start and only to slots of clinics they administer; the doctor "
            "proposes instead (`reschedule-proposal`). Fees follow a new doctor's fee unless "
            "the doctor stays the same; a paid appointment moves only where the total stays "
            "the same (docs/payments.md). A taken slot is a 409 `slot_unavailable` and "
            "nothing changes. Both parties are emailed; reminders follow the new time. Asking "
            "again for the slot the appointment already holds returns it unchanged (200), so "
            "a retry is safe."
        ),
        tags=TAGS,
        request=RescheduleSerializer,
        examples=[RESCHEDULE_EXAMPLE],
        responses={200: AppointmentSerializer, 409: RESCHEDULE_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk=None) -> Response:
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.reschedule_appointment(
            appointment=self.get_object(),
            slot_id=data.validated_data["slot"].pk,
            actor=request.user,
        )
        return Response(self._fresh(result.appointment))

    @extend_schema(
        summary="Propose a new time (the appointment's doctor)",
        description=(
            "The doctor proposes another of their own free slots; the appointment shows it as "
            "`proposed_slot` and the patient is emailed. The patient accepts (the move runs "
            "then, if the slot is still free) or declines; a new proposal replaces a pending "
            "one. A proposal does not hold the slot."
        ),
        tags=TAGS,
        request=RescheduleSerializer,
        examples=[RESCHEDULE_EXAMPLE],
        responses={
            200: AppointmentSerializer,
            409: error_response(
                "ProposalConflict",
                "The slot is not one of the doctor's free slots, or the appointment is closed.",
                "slot_unavailable",
                "slot_in_past",
                "invalid_transition",
                "appointment_started",
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="reschedule-proposal")
    def propose_reschedule(self, request: Request, pk=None) -> Response:
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.propose_reschedule(
            appointment=self.get_object(),
            slot_id=data.validated_data["slot"].pk,
            proposer=request.user,
        )
        return Response(self._fresh(appointment))

    @extend_schema(
        summary="Accept the doctor's proposed time (the patient)",
        description=(
            "Moves the appointment to the proposed slot, as `reschedule` does; the patient's "
            "cutoff does not apply since the doctor asked. A slot taken meanwhile is a 409 "
            "`slot_unavailable` and the proposal stays."
        ),
        tags=TAGS,
        request=None,
        responses={
            200: AppointmentSerializer,
            409: error_response(
                "ProposalAcceptConflict",
                "No pending proposal, or the proposed slot cannot be taken any more.",
                "no_pending_proposal",
                "slot_unavailable",
                "slot_held",
                "slot_in_past",
                "patient_overlap",
                "paid_fee_mismatch",
                "paid_clinic_change",
                "invalid_transition",
                "appointment_started",
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="reschedule-proposal/accept")
    def accept_proposal(self, request: Request, pk=None) -> Response:
        appointment = services.accept_reschedule_proposal(
            appointment=self.get_object(), actor=request.user
        )
        return Response(self._fresh(appointment))

    @extend_schema(
        summary="Decline (the patient) or withdraw (the doctor) a proposed time",
        tags=TAGS,
        request=None,
        responses={
            200: AppointmentSerializer,
            409: error_response("NoPendingProposal", "No pending proposal.", "no_pending_proposal"),
        },
    )
    @action(detail=True, methods=["post"], url_path="reschedule-proposal/decline")
    def decline_proposal(self, request: Request, pk=None) -> Response:
        appointment = services.decline_reschedule_proposal(
            appointment=self.get_object(), actor=request.user
        )
        return Response(self._fresh(appointment))

    @extend_schema(
        summary="Mark completed (the doctor, after the start)",
        tags=TAGS,
        request=None,
        responses={200: AppointmentSerializer, 409: TRANSITION_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk=None) -> Response:
        return self._outcome(AppointmentStatus.COMPLETED)

    @extend_schema(
        summary="Mark no-show (the doctor, after the start)",
        tags=TAGS,
        request=None,
        responses={200: AppointmentSerializer, 409: TRANSITION_CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk=None) -> Response:
        return self._outcome(AppointmentStatus.NO_SHOW)

    @extend_schema(
        summary="Payment state of an appointment",
        description="Amounts, status and the log of every payment status change.",
        tags=TAGS,
        responses={200: PaymentSerializer},
    )
    @action(detail=True, methods=["get"])
    def payment(self, request: Request, pk=None) -> Response:
        return Response(PaymentSerializer(self._with_payments(self.get_object())).data)

    @extend_schema(
        summary="Record a payment or refund (clinic admins, platform admins)",
        description="Allowed: pending -> paid, paid -> refunded. Every change is logged.",
        tags=TAGS,
        request=PaymentUpdateSerializer,
        responses={
            200: PaymentSerializer,
            409: error_response(
                "PaymentTransitionConflict",
                "Not an allowed payment transition.",
                "invalid_payment_transition",
            ),
        },
    )
    @payment.mapping.post
    def record_payment(self, request: Request, pk=None) -> Response:
        appointment = self.get_object()
        data = PaymentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = change_payment_status(
            appointment=appointment,
            to_status=data.validated_data["payment_status"],
            source="staff",
            actor=request.user,
            reference=data.validated_data["reference"],
        )
        return Response(PaymentSerializer(self._with_payments(appointment)).data)

    def _with_payments(self, appointment):
        return (
            appointments_visible_to(self.request.user)
            .prefetch_related("payment_events")
            .get(pk=appointment.pk)
        )

    def _outcome(self, outcome: str) -> Response:
        appointment = services.record_outcome(appointment=self.get_object(), status=outcome)
        return Response(self._fresh(appointment))

    def _fresh(self, appointment) -> dict:
        return AppointmentSerializer(
            appointments_visible_to(self.request.user).get(pk=appointment.pk),
            context={"request": self.request},
        ).data

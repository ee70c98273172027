"""The lower apps' signals, turned into webhook deliveries (in the sender's transaction)."""

from django.dispatch import receiver

from accounts.signals import user_deactivated
from appointments import signals as appointment_signals
from clinics.signals import clinic_admin_removed
from scheduling import signals as slot_signals
from scheduling.models import Slot

from .events import EventType, appointment_data, slots_data
from .services import disable_endpoints_created_by, queue_event

APPOINTMENT_EVENTS = {
    appointment_signals.appointment_booked: EventType.APPOINTMENT_BOOKED,
    appointment_signals.appointment_cancelled: EventType.APPOINTMENT_CANCELLED,
    appointment_signals.appointment_completed: EventType.APPOINTMENT_COMPLETED,
    appointment_signals.appointment_no_show: EventType.APPOINTMENT_NO_SHOW,
}


def _appointment_event(signal, event_type: str):
    def on_appointment_event(sender, appointment, **kwargs) -> None:
        queue_event(
            clinic_id=appointment.clinic_id,
            event_type=event_type,
            data=appointment_data(appointment),
        )

    signal.connect(on_appointment_event, weak=False, dispatch_uid=f"webhooks:{event_type}")


for _signal, _event_type in APPOINTMENT_EVENTS.items():
    _appointment_event(_signal, _event_type)


@receiver(appointment_signals.appointment_rescheduled, dispatch_uid="webhooks:rescheduled")
def on_appointment_rescheduled(sender, appointment, previous_slot_id=None, **kwargs) -> None:
    queue_event(
        clinic_id=appointment.clinic_id,
        event_type=EventType.APPOINTMENT_RESCHEDULED,
        data=appointment_data(
            appointment, previous_slot_id=str(previous_slot_id) if previous_slot_id else None
        ),
    )


@receiver(appointment_signals.payment_status_changed, dispatch_uid="webhooks:payment")
def on_payment_status_changed(sender, appointment, old_status, new_status, **kwargs) -> None:
    queue_event(
        clinic_id=appointment.clinic_id,
        event_type=EventType.PAYMENT_STATUS_CHANGED,
        data=appointment_data(appointment, old_status=old_status, new_status=new_status),
    )


def _slots_by_clinic(slots) -> dict:
    by_clinic: dict = {}
    for slot in slots:
        by_clinic.setdefault(slot.clinic_id, []).append(slot)
    return by_clinic


@receiver(slot_signals.slot_created, dispatch_uid="webhooks:slot_created")
def on_slots_created(sender, slots, **kwargs) -> None:
    for clinic_id, clinic_slots in _slots_by_clinic(slots).items():
        queue_event(
            clinic_id=clinic_id, event_type=EventType.SLOT_CREATED, data=slots_data(clinic_slots)
        )


@receiver(slot_signals.slot_removed, dispatch_uid="webhooks:slot_removed")
def on_slots_removed(sender, slot_ids, slots=None, **kwargs) -> None:
    if slots is None:  # a sender that names the ids only, before the rows go
        slots = list(Slot.objects.filter(pk__in=slot_ids))
    for clinic_id, clinic_slots in _slots_by_clinic(slots).items():
        queue_event(
            clinic_id=clinic_id, event_type=EventType.SLOT_REMOVED, data=slots_data(clinic_slots)
        )


@receiver(clinic_admin_removed, dispatch_uid="webhooks:clinic_admin_removed")
def on_clinic_admin_removed(sender, clinic, user, **kwargs) -> None:
    disable_endpoints_created_by(user=user, clinic=clinic)


@receiver(user_deactivated, dispatch_uid="webhooks:user_deactivated")
def on_user_deactivated(sender, user, **kwargs) -> None:
    disable_endpoints_created_by(user=user)

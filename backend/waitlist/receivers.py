"""Where the waitlist hears about slots and bookings: signals defined on the floors below
(scheduling.signals, appointments.signals), sent inside the services' transactions. Receivers
only enqueue tasks or update waitlist rows, in that same transaction."""

from django.dispatch import receiver

from appointments.signals import appointment_booked, appointment_rescheduled
from scheduling.signals import hold_released, slot_created, slot_freed

from . import services


def _enqueue_offers(slots) -> None:
    by_doctor: dict = {}
    for slot in slots:
        by_doctor.setdefault(slot.doctor_id, []).append(str(slot.pk))
    for doctor_id, slot_ids in by_doctor.items():
        if services.doctor_has_waiting_patients(doctor_id):
            services.offer_slots.enqueue(slot_ids=slot_ids)


@receiver(slot_freed, dispatch_uid="waitlist.slot_freed")
def offer_freed_slot(sender, slot, **kwargs) -> None:
    _enqueue_offers([slot])


@receiver(slot_created, dispatch_uid="waitlist.slot_created")
def offer_new_slots(sender, slots, **kwargs) -> None:
    _enqueue_offers(slots)


@receiver(hold_released, dispatch_uid="waitlist.hold_released")
def offer_released_slot(sender, hold, **kwargs) -> None:
    # A declined offer (or any released hold) goes to the next patient now, not at the expiry.
    _enqueue_offers([hold.slot])


@receiver(appointment_booked, dispatch_uid="waitlist.appointment_booked")
@receiver(appointment_rescheduled, dispatch_uid="waitlist.appointment_rescheduled")
def drop_patient_who_booked(sender, appointment, **kwargs) -> None:
    services.drop_patient_who_booked(appointment=appointment)

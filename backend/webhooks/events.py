"""The event types a clinic's webhook endpoint can subscribe to, and their payloads.

A payload names ids, times and statuses only: never medical history, notes, names or contact
details (the patient is an id at most). docs/webhooks.md shows each one.
"""

from collections.abc import Iterable

from django.db import models


class EventType(models.TextChoices):
    APPOINTMENT_BOOKED = "appointment.booked", "Appointment booked"
    APPOINTMENT_CANCELLED = "appointment.cancelled", "Appointment cancelled"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled", "Appointment rescheduled"
    APPOINTMENT_COMPLETED = "appointment.completed", "Appointment completed"
    APPOINTMENT_NO_SHOW = "appointment.no_show", "Appointment marked no-show"
    SLOT_CREATED = "slot.created", "Slots created"
    SLOT_REMOVED = "slot.removed", "Slots removed"
    PAYMENT_STATUS_CHANGED = "payment.status_changed", "Payment status changed"


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def appointment_data(appointment, **extra) -> dict:
    return {
        "appointment": {
            "id": str(appointment.pk),
            "status": appointment.status,
            "payment_status": appointment.payment_status,
            "slot_id": str(appointment.slot_id) if appointment.slot_id else None,
            "doctor_id": str(appointment.doctor_id),
            "clinic_id": str(appointment.clinic_id),
            "patient_id": str(appointment.patient_id),
            "start": _time(appointment.start),
            "end": _time(appointment.end),
            # The type and modality booked; never a video visit's join link (docs/scheduling.md).
            "visit_type_id": str(appointment.visit_type_id) if appointment.visit_type_id else None,
            "modality": appointment.modality,
        },
        **extra,
    }


def slots_data(slots: Iterable) -> dict:
    return {
        "slots": [
            {
                "id": str(slot.pk),
                "doctor_id": str(slot.doctor_id),
                "clinic_id": str(slot.clinic_id),
                "start": _time(slot.start),
                "end": _time(slot.end),
                "status": slot.status,
            }
            for slot in slots
        ]
    }

"""Appointment changes counted for the metrics once their transaction commits (a booking
rolled back is no booking)."""

from django.db import transaction

from common.metrics import APPOINTMENT_EVENTS

from . import signals

_EVENTS = {
    signals.appointment_booked: "booked",
    signals.appointment_rescheduled: "rescheduled",
    signals.appointment_cancelled: "cancelled",
    signals.appointment_completed: "completed",
    signals.appointment_no_show: "no_show",
}


def _count_on_commit(event: str):
    def count(sender, **kwargs) -> None:
        transaction.on_commit(APPOINTMENT_EVENTS.labels(event).inc)

    return count


for signal, event in _EVENTS.items():
    signal.connect(_count_on_commit(event), weak=False, dispatch_uid=f"careslot-metrics-{event}")

"""What happens to appointments, for the apps above this one (outgoing webhooks, waitlist).

Each signal is sent by the service that made the change, inside its transaction, with
`appointment` (the instance after the change) and, where it matters, `previous_slot_id` or
`old_status`/`new_status`. A receiver that enqueues a task writes it in the same transaction.
"""

from django.dispatch import Signal

appointment_booked = Signal()
appointment_cancelled = Signal()
appointment_rescheduled = Signal()  # also sends previous_slot_id
appointment_completed = Signal()
appointment_no_show = Signal()
payment_status_changed = Signal()  # also sends old_status, new_status

"""What happens to slots, for the apps above this one (outgoing webhooks, waitlist).

Sent by the scheduling services inside their transaction: `slot_created` with `slots` (a list,
one or many from a template), `slot_removed` with `slot_ids`, `slot_freed` with `slot` when a
booked slot becomes available again (a cancellation or a reschedule away), `hold_released`
with `hold` when its holder gives a slot hold back before it expires.
"""

from django.dispatch import Signal

slot_created = Signal()
slot_removed = Signal()  # also sends slots, the instances as they were before the removal
slot_freed = Signal()
hold_released = Signal()

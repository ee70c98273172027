"""Someone acted for a patient other than themself (a guardian, a proxy; docs/families.md).

Sent by the service that did it, inside its transaction, with `patient`, `actor` and `action`
(`book`, `cancel`, `reschedule`, `join_waitlist`): records writes it to the patient's access
log."""

from django.dispatch import Signal

acted_for_patient = Signal()


def note_acting_for(*, actor, patient, action: str) -> None:
    """Send `acted_for_patient` when `actor` is not the patient themself."""
    if actor is not None and actor.pk != patient.user_id:
        acted_for_patient.send(sender=type(patient), patient=patient, actor=actor, action=action)

"""Retention of slot holds (docs/privacy.md)."""

from datetime import datetime

from .models import SlotHold


def prune_ended_holds(*, before: datetime) -> int:
    """Delete holds that ended (booked, released or lapsed) before `before`, and with them the
    waitlist offers made through them. Live holds, and the recent ones the cooldown and the
    daily limit read, stay."""
    ended = SlotHold.objects.filter(ends_at__lt=before)
    return ended.delete()[1].get(SlotHold._meta.label, 0)

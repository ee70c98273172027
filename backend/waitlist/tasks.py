"""Waitlist work, run by the worker: making offers when slots free up, passing a lapsed offer
on at its expiry, and the offer email. Each is safe to run twice (services re-check state)."""

from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from common.emails import deliver_email, task_message_key
from patients.selectors import mail_address_of

from . import services
from .models import OfferStatus, WaitlistOffer


@task
def offer_slots(slot_ids: list[str]) -> int:
    """Offer each slot to its doctor's waitlist (one transaction per slot); how many offers."""
    made = 0
    for slot_id in slot_ids:
        if services.offer_slot(slot_id=slot_id) is not None:
            made += 1
    return made


@task
def pass_on_offer(offer_id: str) -> bool:
    return services.pass_on_offer(offer_id=offer_id) is not None


@task(takes_context=True)
def send_waitlist_offer(context: TaskContext, offer_id: str) -> bool:
    """Tell the patient a slot is held for them, unless the offer is no longer open."""
    with transaction.atomic():
        offer = (
            WaitlistOffer.objects.select_related(
                "entry__patient__user", "slot__doctor__user", "slot__clinic"
            )
            .filter(pk=offer_id)
            .first()
        )
    if offer is None or offer.status != OfferStatus.OPEN or offer.expires_at <= timezone.now():
        return False
    if not (to := mail_address_of(offer.entry.patient)):
        return False
    slot, clinic = offer.slot, offer.slot.clinic
    zone = ZoneInfo(clinic.timezone)
    return deliver_email(
        key=task_message_key(context),
        to=to,
        subject=f"A slot with Dr. {slot.doctor.user.last_name} is held for you",
        template="waitlist/email/offer",
        context={
            "patient": offer.entry.patient,
            "doctor": slot.doctor,
            "clinic": clinic,
            "slot": slot,
            "when": f"{slot.start.astimezone(zone):%A %d %B %Y, %H:%M} ({clinic.timezone})",
            "until": f"{offer.expires_at.astimezone(zone):%H:%M} ({clinic.timezone})",
        },
    )

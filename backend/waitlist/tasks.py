"""Waitlist mail, sent by the worker: the offer email, safe to run twice (it re-checks the
offer). The tasks that make and pass on offers are in services.py (it says why)."""

from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from common.emails import deliver_email, task_message_key
from patients.selectors import mail_address_of

from .models import OfferStatus, WaitlistOffer


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

"""The endpoints that read a JSON body, as the hostile-input tests send to them: public
(login, registration), authenticated (booking, a PATCH) and the signed payment webhook."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User
from appointments.models import Appointment
from appointments.payments import sign_webhook
from tests.factories import PASSWORD

V1 = "/api/v1"
SECRET = "whsec-hostile-json"


@dataclass
class Target:
    name: str
    method: str
    url: Callable
    actor: Callable  # world -> user or None
    body: Callable  # world -> a valid body
    field: str  # a text field of that body, where a bad string is reported

    def send(self, client_for, world, raw: bytes | str, content_type="application/json", **extra):
        raw = raw.encode() if isinstance(raw, str) else raw
        if self.name == "webhook":
            extra["HTTP_CARESLOT_SIGNATURE"] = sign_webhook(
                body=raw, timestamp=int(time.time()), secret=SECRET
            )
        client = client_for(self.actor(world))
        return client.generic(self.method, self.url(world), raw, content_type, **extra)


def webhook_event(w) -> dict:
    appointment = w.appointment
    return {
        "id": "evt_hostile",
        "type": "payment.succeeded",
        "data": {
            "appointment_id": str(appointment.pk),
            "amount": str(appointment.total_amount),
            "currency": appointment.currency,
            "reference": "pi_1",
        },
    }


TARGETS = [
    Target(
        "login",
        "POST",
        lambda w: f"{V1}/auth/login/",
        lambda w: None,
        lambda w: {"email": w.patient.user.email, "password": PASSWORD},
        "password",
    ),
    Target(
        "register",
        "POST",
        lambda w: f"{V1}/auth/register/patient/",
        lambda w: None,
        lambda w: {
            "email": "new-hostile@example.com",
            "password": PASSWORD,
            "first_name": "New",
            "last_name": "Person",
            "date_of_birth": "1990-01-01",
        },
        "first_name",
    ),
    Target(
        "book",
        "POST",
        lambda w: f"{V1}/appointments/",
        lambda w: w.patient.user,
        lambda w: {"slot": str(w.slot.pk)},
        "slot",
    ),
    Target(
        "me-update",
        "PATCH",
        lambda w: f"{V1}/auth/me/",
        lambda w: w.patient.user,
        lambda w: {"first_name": "Pia", "phone": "+49 30 1"},
        "first_name",
    ),
    Target(
        "webhook",
        "POST",
        lambda w: f"{V1}/payments/webhook/",
        lambda w: None,
        webhook_event,
        "id",
    ),
]
TARGET_IDS = [t.name for t in TARGETS]


def snapshot(world) -> tuple:
    """What any of the targets would change if a hostile body got through."""
    world.patient.user.refresh_from_db()
    world.appointment.refresh_from_db()
    return (
        User.objects.count(),
        Appointment.objects.count(),
        world.patient.user.first_name,
        world.patient.user.phone,
        world.appointment.payment_status,
    )

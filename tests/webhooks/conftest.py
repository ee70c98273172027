import pytest

from tests.factories import ClinicFactory, clinic_admin_of
from tests.webhooks.receiver import Receiver
from webhooks.models import WebhookEndpoint
from webhooks.signing import new_secret

ALL_EVENTS = [
    "appointment.booked",
    "appointment.cancelled",
    "appointment.rescheduled",
    "appointment.completed",
    "appointment.no_show",
    "slot.created",
    "slot.removed",
    "payment.status_changed",
]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def local_webhooks(settings):
    """Endpoints on this machine, over plain http: what local development allows."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.TASK_RETRY_BASE_SECONDS = 0.0  # retries are ready at once: run_tasks runs them
    return settings


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Mitte Health")


@pytest.fixture
def clinic_admin(clinic):
    return clinic_admin_of(clinic, first_name="Clara")


def make_endpoint(clinic, url: str, events=None, **fields) -> WebhookEndpoint:
    """An endpoint stored directly (no URL check): for tests of what happens after saving."""
    return WebhookEndpoint.objects.create(
        clinic=clinic,
        url=url,
        event_types=events or ALL_EVENTS,
        secret=new_secret(),
        **fields,
    )

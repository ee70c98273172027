"""Webhook endpoints x roles -> status: a clinic's admins manage its endpoints, platform admins
all; other clinic admins do not see them (404); other roles are refused (403)."""

import pytest

from tests.authz import Endpoint, cases, check, expect
from tests.webhooks.conftest import make_endpoint
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"
PUBLIC = "https://93.184.215.14/careslot"
MANAGE = {"clinic_admin": 200, "other_clinic_admin": 404, "platform_admin": 200}


def endpoint(w):
    return make_endpoint(w.clinic, PUBLIC)


def failed_delivery(w):
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint(w), event_type="slot.created", payload={}, status="failed"
    )
    return f"{V1}/webhook-endpoints/{delivery.endpoint_id}/deliveries/{delivery.pk}/redeliver/"


ENDPOINTS = [
    Endpoint(
        "webhook-endpoints-list",
        "GET",
        lambda w: f"{V1}/webhook-endpoints/",
        expect(403, clinic_admin=200, other_clinic_admin=200, platform_admin=200),
    ),
    Endpoint(
        "webhook-endpoints-create",
        "POST",
        lambda w: f"{V1}/webhook-endpoints/",
        expect(403, clinic_admin=201, other_clinic_admin=403, platform_admin=201),
        body=lambda w: {
            "clinic": str(w.clinic.pk),
            "url": PUBLIC,
            "event_types": ["appointment.booked"],
        },
    ),
    Endpoint(
        "webhook-endpoints-detail",
        "GET",
        lambda w: f"{V1}/webhook-endpoints/{endpoint(w).pk}/",
        expect(403, **MANAGE),
    ),
    Endpoint(
        "webhook-endpoints-update",
        "PATCH",
        lambda w: f"{V1}/webhook-endpoints/{endpoint(w).pk}/",
        expect(403, **MANAGE),
        body=lambda w: {"enabled": False},
    ),
    Endpoint(
        "webhook-endpoints-delete",
        "DELETE",
        lambda w: f"{V1}/webhook-endpoints/{endpoint(w).pk}/",
        expect(403, clinic_admin=204, other_clinic_admin=404, platform_admin=204),
    ),
    Endpoint(
        "webhook-endpoints-rotate-secret",
        "POST",
        lambda w: f"{V1}/webhook-endpoints/{endpoint(w).pk}/rotate-secret/",
        expect(403, **MANAGE),
    ),
    Endpoint(
        "webhook-endpoints-deliveries",
        "GET",
        lambda w: f"{V1}/webhook-endpoints/{endpoint(w).pk}/deliveries/",
        expect(403, **MANAGE),
    ),
    Endpoint(
        "webhook-endpoints-redeliver",
        "POST",
        failed_delivery,
        expect(403, clinic_admin=202, other_clinic_admin=404, platform_admin=202),
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_webhook_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)

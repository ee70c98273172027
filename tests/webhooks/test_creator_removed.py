"""A clinic admin who is removed from the clinic, loses the role or is deactivated leaves no
endpoint sending the clinic's events to a URL they chose (issue 28, finding 6): the endpoints
they created are disabled, and the admins who stay are mailed about each."""

import pytest

from accounts.models import Role
from clinics.permissions import grant_clinic_admin_permission
from tests.factories import ClinicFactory, clinic_admin_of, user_with_role
from tests.webhooks.test_endpoints import create
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def platform_admin():
    return user_with_role(Role.PLATFORM_ADMIN)


@pytest.fixture
def leaver(clinic):
    return clinic_admin_of(clinic, first_name="Lea", email="lea@example.com")


@pytest.fixture
def endpoints(client_for, clinic, clinic_admin, leaver):
    """Two endpoints the leaver created, one the admin who stays created."""
    theirs = [create(client_for(leaver), clinic).json()["id"] for _ in range(2)]
    stays = create(client_for(clinic_admin), clinic).json()["id"]
    return theirs, stays


def states(ids):
    rows = WebhookEndpoint.objects.filter(pk__in=ids).order_by("pk")
    return {str(row.pk): row.enabled for row in rows}


def test_removing_an_admin_disables_the_endpoints_they_created_and_tells_the_others(
    client_for, clinic, clinic_admin, leaver, endpoints, platform_admin, outbox, run_tasks
):
    theirs, stays = endpoints
    response = client_for(platform_admin).delete(f"{V1}/clinics/{clinic.pk}/admins/{leaver.pk}/")
    assert response.status_code == 204, response.content

    assert states(theirs) == dict.fromkeys(theirs, False)
    assert states([stays]) == {stays: True}
    disabled = WebhookEndpoint.objects.get(pk=theirs[0])
    assert "no longer administers" in disabled.disabled_reason
    assert disabled.disabled_at is not None

    assert run_tasks() == 2  # one notice per endpoint, to the one admin who stays
    assert [message.to for message in outbox] == [[clinic_admin.email]] * 2
    assert "no longer administers" in outbox[0].body
    # the admin who stays sees it disabled and may enable it again
    client = client_for(clinic_admin)
    shown = client.get(f"{V1}/webhook-endpoints/{theirs[0]}/").json()
    assert shown["enabled"] is False
    enabled = client.patch(f"{V1}/webhook-endpoints/{theirs[0]}/", {"enabled": True}, format="json")
    assert enabled.status_code == 200
    assert enabled.json()["enabled"] is True


def test_deactivating_an_admin_disables_their_endpoints_at_every_clinic(
    client_for, clinic, clinic_admin, leaver, platform_admin, outbox, run_tasks
):
    other = ClinicFactory(name="Other Clinic")
    grant_clinic_admin_permission(user=leaver, clinic=other)
    theirs = [create(client_for(leaver), c).json()["id"] for c in (clinic, other)]

    response = client_for(platform_admin).post(
        f"{V1}/users/{leaver.pk}/deactivate/", {"reason": "Left the company"}
    )
    assert response.status_code == 200, response.content
    assert states(theirs) == dict.fromkeys(theirs, False)
    # the clinic with an admin who stays gets the notice; the other has nobody left to tell
    run_tasks()
    assert [message.to for message in outbox] == [[clinic_admin.email]]


def test_revoking_the_clinic_admin_role_disables_their_endpoints(
    client_for, clinic, clinic_admin, leaver, endpoints, platform_admin
):
    theirs, stays = endpoints
    response = client_for(platform_admin).delete(
        f"{V1}/users/{leaver.pk}/roles/{Role.CLINIC_ADMIN}/"
    )
    assert response.status_code in (200, 204), response.content
    assert states(theirs) == dict.fromkeys(theirs, False)
    assert states([stays]) == {stays: True}


def test_removing_an_admin_who_created_nothing_disables_nothing(
    client_for, clinic, clinic_admin, platform_admin, outbox, run_tasks
):
    mine = create(client_for(clinic_admin), clinic).json()["id"]
    other_admin = clinic_admin_of(clinic)
    response = client_for(platform_admin).delete(
        f"{V1}/clinics/{clinic.pk}/admins/{other_admin.pk}/"
    )
    assert response.status_code == 204
    assert states([mine]) == {mine: True}
    assert run_tasks() == 0

"""Waitlist endpoints x roles -> status (docs/holds-and-waitlist.md): patients manage their own
entries; doctors, clinic admins and platform admins see queue lengths only."""

import pytest

from tests.authz import Endpoint, cases, check, expect
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"
PATIENTS = {"patient": 200, "other_patient": 200}


def entry(w):
    """The patient's waiting entry for the doctor (made on first use)."""
    if not hasattr(w, "waitlist_entry"):
        w.waitlist_entry = WaitlistEntry.objects.create(patient=w.patient, doctor=w.doctor)
    return w.waitlist_entry


ENDPOINTS = [
    Endpoint("waitlist-list", "GET", lambda w: f"{V1}/waitlist/", expect(403, **PATIENTS)),
    Endpoint(
        "waitlist-join",
        "POST",
        lambda w: f"{V1}/waitlist/",
        expect(403, patient=201, other_patient=201),
        body=lambda w: {"doctor": str(w.doctor.pk), "clinic": str(w.clinic.pk)},
    ),
    Endpoint(
        "waitlist-detail",
        "GET",
        lambda w: f"{V1}/waitlist/{entry(w).pk}/",
        expect(403, patient=200, other_patient=404),
    ),
    Endpoint(
        "waitlist-leave",
        "DELETE",
        lambda w: f"{V1}/waitlist/{entry(w).pk}/",
        expect(403, patient=204, other_patient=404),
    ),
    Endpoint(
        "waitlist-lengths",
        "GET",
        lambda w: f"{V1}/waitlist/lengths/",
        expect(
            403,
            doctor=200,
            other_doctor=200,
            unconfirmed_doctor=200,
            clinic_admin=200,
            other_clinic_admin=200,
            platform_admin=200,
        ),
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_waitlist_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)


def test_lengths_show_each_caller_only_their_doctors(client_for, world):
    entry(world)

    def lengths(user):
        rows = client_for(user).get(f"{V1}/waitlist/lengths/").json()["results"]
        return {row["doctor"]: row["waiting"] for row in rows}

    assert lengths(world.doctor.user) == {str(world.doctor.pk): 1}
    assert lengths(world.clinic_admin) == {str(world.doctor.pk): 1}
    assert lengths(world.other_clinic_admin) == {str(world.other_doctor.pk): 0}
    assert lengths(world.platform_admin)[str(world.doctor.pk)] == 1
